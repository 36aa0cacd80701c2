using Maskbench.Kernels;
using Maskbench.Runtime;

namespace Maskbench.Tests.Kernels;

/// <summary>Tests that change the process-wide kernel policy or simulated fault run alone, never beside other tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelStateCollection
{
    public const string Name = "kernel checks (process-wide policy and simulated faults)";
}

/// <summary>Sets a kernel policy and simulated fault (and optionally a fresh cache folder) until disposed, then restores them.</summary>
internal sealed class KernelState : IDisposable
{
    readonly KernelPolicy _policy = KernelChecks.Policy;
    readonly SimulatedKernelFault _fault = KernelChecks.Fault;
    readonly string _cache = KernelChecks.CacheDirectory;
    readonly string? _temporary;

    public KernelState(KernelPolicy policy = KernelPolicy.Auto, SimulatedKernelFault fault = SimulatedKernelFault.None, bool freshCache = false)
    {
        if (freshCache)
        {
            _temporary = Directory.CreateTempSubdirectory("maskbench-kernels-").FullName;
            KernelChecks.CacheDirectory = _temporary;
        }
        KernelChecks.Policy = policy;
        KernelChecks.Fault = fault;
        KernelChecks.Reset();
    }

    public string? CacheFolder => _temporary;

    public void Dispose()
    {
        KernelChecks.Policy = _policy;
        KernelChecks.Fault = _fault;
        KernelChecks.CacheDirectory = _cache;
        KernelChecks.Reset();
        if (_temporary is not null) Directory.Delete(_temporary, recursive: true);
    }
}
