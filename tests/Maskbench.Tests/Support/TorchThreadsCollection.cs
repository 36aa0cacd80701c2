namespace Maskbench.Tests.Support;

/// <summary>
/// Tests that set libtorch's process-wide thread count, or whose exact numbers depend on it (a float reduction split
/// over two threads rounds differently from one over a single thread). They run alone, each with the count it sets,
/// so neither a parallel test nor test order changes their results.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchThreadsCollection
{
    public const string Name = "libtorch thread count";
}
