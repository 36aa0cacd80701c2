using System.Runtime.CompilerServices;
using Maskbench.Runtime;

namespace Maskbench.Tests.Support;

/// <summary>
/// Loads TorchSharp once, when the test assembly loads, so that no test has to remember to (a failure to load fails
/// the run at once with TorchRuntime's one-line advice). Tests of the loading itself live in TorchRuntimeTests.
/// </summary>
static class TorchFixture
{
    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255", Justification = "a test assembly's one-time setup")]
    internal static void Load() => TorchRuntime.EnsureLoaded();
}
