using System.Diagnostics;
using Maskbench.Runtime;
using static TorchSharp.torch;

namespace Maskbench.Tests.Runtime;

public class ScalarRaceProbe
{
    [Fact]
    public void Probe()
    {
        bool zone = Environment.GetEnvironmentVariable("PROBE_ZONE") == "1";
        bool stop = false;
        long garbage = 0;
        var noise = new Thread(() => { while (!Volatile.Read(ref stop)) { var a = new byte[512]; garbage += a.Length; } }) { IsBackground = true };
        noise.Start();
        using var counter = tensor(0L);
        int failures = 0; string? first = null;
        int n = int.Parse(Environment.GetEnvironmentVariable("PROBE_N") ?? "200000");
        var clock = Stopwatch.StartNew();
        for (int c = 0; c < n; c += 500)
        {
            using var z = zone ? NoCollectionZone.Enter() : null;
            for (int i = c; i < c + 500; i++)
            {
                try { counter.add_(1); }
                catch (Exception e) { failures++; first ??= e.Message.Split('\n')[0]; }
            }
        }
        Volatile.Write(ref stop, true);
        noise.Join();
        Console.WriteLine($"PROBE zone {zone} failures {failures}/{n} counter {counter.item<long>()} overflows {NoCollectionZone.Overflows} {clock.ElapsedMilliseconds} ms first: {first}");
        Assert.Equal(0, failures);
    }
}
