namespace Maskbench.Runtime;

/// <summary>
/// The process's compute-thread budget, set once by the command line (<c>--threads</c>): libtorch's intra-op threads
/// (applied when TorchSharp loads, or at once when it already has) and the default width of the library's own parallel
/// loops (segmentation, synthesis, COCO decoding). Zero, the default, means one per core.
/// </summary>
public static class ComputeThreads
{
    static int _requested;

    /// <summary>The budget asked for (0: none, one thread per core).</summary>
    public static int Requested => Volatile.Read(ref _requested);

    /// <summary>Threads a parallel loop uses when its caller gives none (<paramref name="workers"/> 0).</summary>
    public static int For(int workers) => workers > 0 ? workers : Requested > 0 ? Requested : Environment.ProcessorCount;

    /// <summary>Sets the budget; libtorch takes it now if loaded, else when <see cref="TorchRuntime.EnsureLoaded"/> loads it.</summary>
    public static void Request(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        Volatile.Write(ref _requested, threads);
        TorchRuntime.ApplyThreads();
    }
}
