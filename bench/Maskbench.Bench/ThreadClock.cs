using System.Runtime.InteropServices;

namespace Maskbench.Bench;

/// <summary>
/// CPU time of the calling thread (Linux CLOCK_THREAD_CPUTIME_ID), the counterpart of Python's time.thread_time():
/// on a machine shared with other jobs it counts only the time the thread ran, so single-threaded figures of the two
/// sides can be compared where wall-clock time mostly measures the other jobs. Null where the clock is unavailable.
/// </summary>
public static class ThreadClock
{
    const int ClockThreadCpuTimeId = 3;

    [StructLayout(LayoutKind.Sequential)]
    struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    static extern int ClockGetTime(int clock, out Timespec time);

    /// <summary>Seconds of CPU this thread has used, or null off Linux.</summary>
    public static double? Seconds()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            return ClockGetTime(ClockThreadCpuTimeId, out var t) == 0 ? t.Seconds + t.Nanoseconds * 1e-9 : null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }
}
