using System.Runtime.InteropServices;

namespace Maskbench.Runtime;

/// <summary>
/// The OpenMP thread count of the calling thread, set in libtorch's own OpenMP runtime (the GNU libgomp that the
/// libtorch package ships under a hashed name, found among the process's loaded libraries). libtorch's
/// <c>at::get_num_threads()</c> is <c>omp_get_max_threads()</c>, so this changes how many threads its kernels and
/// oneDNN use on this thread without <c>torch.set_num_threads</c>, which also clears oneDNN's primitive cache and
/// rebuilds a thread pool. Where no libgomp is loaded (other platforms, other OpenMP runtimes), <see cref="Available"/>
/// is false and nothing changes.
/// </summary>
public static unsafe class OpenMpThreads
{
    static readonly Lazy<(nint Set, nint Get)> Exports = new(Find);

    /// <summary>Whether libtorch's libgomp was found in this process.</summary>
    public static bool Available => Exports.Value.Set != 0;

    /// <summary>The calling thread's OpenMP thread count (<c>omp_get_max_threads</c>); 1 where unavailable.</summary>
    public static int Current => Available ? ((delegate* unmanaged<int>)Exports.Value.Get)() : 1;

    /// <summary>Sets the calling thread's OpenMP thread count (<c>omp_set_num_threads</c>); nothing where unavailable.</summary>
    public static void Set(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        if (Available) ((delegate* unmanaged<int, void>)Exports.Value.Set)(threads);
    }

    static (nint, nint) Find()
    {
        TorchRuntime.EnsureLoaded();
        if (!OperatingSystem.IsLinux()) return (0, 0);
        string? path = null;
        try
        {
            // The libgomp that libtorch_cpu.so was linked against is mapped by now (libtorch is loaded).
            foreach (var line in File.ReadLines("/proc/self/maps"))
            {
                int slash = line.IndexOf('/');
                if (slash < 0) continue;
                string file = line[slash..];
                if (Path.GetFileName(file).StartsWith("libgomp", StringComparison.Ordinal)) { path = file; break; }
            }
        }
        catch (IOException) { return (0, 0); }
        if (path is null || !NativeLibrary.TryLoad(path, out var handle)) return (0, 0);
        return NativeLibrary.TryGetExport(handle, "omp_set_num_threads", out var set)
            && NativeLibrary.TryGetExport(handle, "omp_get_max_threads", out var get) ? (set, get) : (0, 0);
    }
}
