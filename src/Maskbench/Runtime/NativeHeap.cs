using System.Runtime.InteropServices;

namespace Maskbench.Runtime;

/// <summary>
/// How glibc's allocator hands native memory back to the operating system, tuned for libtorch's pattern: every attack
/// or training step frees and allocates again the same activation buffers (megabytes each). By default glibc returns
/// the free top of its heap to the kernel once it exceeds a threshold, and maps blocks above another threshold
/// afresh each time; either way the next step's buffers land on new pages, which the kernel must fault in and zero
/// (measured here: 16,000 page faults per bf16 VGG-19 PGD step at batch 128, about 6% of its time).
/// <see cref="RetainFreedMemory"/> keeps up to <see cref="TrimThreshold"/> of freed heap for reuse and serves
/// blocks up to <see cref="MapThreshold"/> from the heap. Blocks above it are still mapped and unmapped: with those in
/// the heap too, glibc 2.36 grew it without bound when large aligned blocks were recycled (10 GB after 300
/// allocations of 48 MiB). Process-wide, so it is the application's choice: the CLI makes it, the library does not.
/// </summary>
public static class NativeHeap
{
    /// <summary>Free heap glibc keeps instead of returning it to the kernel.</summary>
    public const int TrimThreshold = 512 << 20;

    /// <summary>Blocks at least this large are mapped on their own (glibc's own upper limit for its adaptive threshold).</summary>
    public const int MapThreshold = 32 << 20;

    const int M_TRIM_THRESHOLD = -1;
    const int M_MMAP_THRESHOLD = -3;

    static bool _done;

    /// <summary>
    /// Applies the thresholds once per process; true when glibc accepted them. Elsewhere (another C library, another
    /// operating system) it does nothing and returns false.
    /// </summary>
    public static bool RetainFreedMemory()
    {
        if (_done) return true;
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            _done = mallopt(M_TRIM_THRESHOLD, TrimThreshold) == 1 && mallopt(M_MMAP_THRESHOLD, MapThreshold) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
        return _done;
    }

    /// <summary>One line for `maskbench doctor`, with a measurement of <see cref="FaultsPerReusedPage"/>.</summary>
    public static string Describe()
    {
        string settings = _done
            ? $"keeps up to {TrimThreshold >> 20} MiB freed; blocks of {MapThreshold >> 20} MiB and more mapped alone"
            : "C library defaults";
        // The best of three probes: another thread's allocations can land between a probe's blocks now and then.
        double faults = Enumerable.Range(0, 3).Select(_ => FaultsPerReusedPage()).Min();
        return faults < 0 ? settings : $"{settings}; freed 16 MiB blocks allocated again: {faults:F2} page faults per page";
    }

    /// <summary>
    /// Minor page faults per page when blocks the size of VGG-19's bf16 activations at batch 128 are freed and
    /// allocated again: four 16 MiB blocks at once, 64-byte aligned as libtorch asks, every page written, ten rounds
    /// after two warm-up rounds. About 0 when freed memory is reused, about 1 when every round gets fresh pages; −1
    /// where the count is not available (no /proc/self/stat). Measures the calling thread's allocator arena.
    /// </summary>
    public static unsafe double FaultsPerReusedPage()
    {
        if (!File.Exists("/proc/self/stat")) return -1;
        const int blocks = 4, rounds = 10;
        const nuint size = 16 << 20;
        int page = Environment.SystemPageSize;
        void Round()
        {
            var pointers = new byte*[blocks];
            for (int b = 0; b < blocks; b++)
            {
                pointers[b] = (byte*)NativeMemory.AlignedAlloc(size, 64);
                for (nuint offset = 0; offset < size; offset += (nuint)page) pointers[b][offset] = 1;
            }
            for (int b = 0; b < blocks; b++) NativeMemory.AlignedFree(pointers[b]);
        }
        Round();
        Round();
        long before = MinorFaults();
        for (int r = 0; r < rounds; r++) Round();
        return (double)(MinorFaults() - before) / (rounds * blocks * (long)(size / (nuint)page));
    }

    /// <summary>Field 10 of /proc/self/stat (counted after the parenthesized command name, which may contain spaces).</summary>
    static long MinorFaults()
    {
        string stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[7], System.Globalization.CultureInfo.InvariantCulture);
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    static extern int mallopt(int parameter, int value);
}
