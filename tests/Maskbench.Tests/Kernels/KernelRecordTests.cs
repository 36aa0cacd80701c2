using Maskbench.Kernels;
using static TorchSharp.torch;

namespace Maskbench.Tests.Kernels;

/// <summary>A result records the convolutions of its own computation, not those of another running in the same process.</summary>
public class KernelRecordTests
{
    static void Convolve(int channels)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(7);
        var x = rand([2, channels, 6, 6], generator: generator);
        var w = rand([4, channels, 3, 3], generator: generator);
        CheckedConvolution.Apply(x, w, null, ConvolutionGeometry.Same(1, 1));
    }

    [Fact]
    public async Task A_record_sees_its_own_flow_and_the_tasks_it_starts_but_not_another_thread()
    {
        using var record = KernelChecks.Record();
        Convolve(5);
        // Another thread's convolution, started outside this flow (no execution context flows to it).
        var other = new Thread(() => Convolve(7));
        using (ExecutionContext.SuppressFlow()) other.Start();
        other.Join();
        // A task this flow starts carries the record with it.
        await Task.Run(() => Convolve(9));
        var subjects = record.Verdicts.Select(v => v.Subject).ToList();
        Assert.Contains(subjects, s => s.Contains(" 5→4 "));
        Assert.Contains(subjects, s => s.Contains(" 9→4 "));
        Assert.DoesNotContain(subjects, s => s.Contains(" 7→4 "));
    }

    [Fact]
    public void A_disposed_record_stops_recording_and_an_inner_one_records_into_both()
    {
        var outer = KernelChecks.Record();
        using (var inner = KernelChecks.Record())
        {
            Convolve(10);
            Assert.Single(inner.Verdicts, v => v.Subject.Contains(" 10→4 "));
        }
        Convolve(11);
        outer.Dispose();
        Convolve(12);
        var subjects = outer.Verdicts.Select(v => v.Subject).ToList();
        Assert.Contains(subjects, s => s.Contains(" 10→4 "));
        Assert.Contains(subjects, s => s.Contains(" 11→4 "));
        Assert.DoesNotContain(subjects, s => s.Contains(" 12→4 "));
    }
}
