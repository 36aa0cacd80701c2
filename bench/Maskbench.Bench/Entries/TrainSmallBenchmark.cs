using Maskbench.Attacks;

namespace Maskbench.Bench.Entries;

/// <summary>
/// Training throughput where CPU users train: VGG-11 at widths 1/8 and 1/4, batch 64 and 128, natural and PGD-3
/// steps, ours (float32 and bf16) against PyTorch eager with the same threads (float32, and bfloat16 autocast with
/// channels-last), through the same shared measurement as `train` (the sides take turns of three steps; fastest step).
/// </summary>
public sealed class TrainSmallBenchmark : IBenchmark
{
    public string Name => "train-small";
    public string Description => "VGG-11 at widths 1/8 and 1/4, batch 64 and 128, natural and PGD-3 training images/s vs PyTorch eager";

    public BenchmarkResult Run(BenchmarkContext context)
    {
        var result = new BenchmarkResult();
        var peaks = MatmulPeaks.Measure();
        // Steps of small models take milliseconds: each side's fastest of about the same time's worth of steps in every
        // setting, in turns of three steps back to back (the first, after the pause between turns, not timed): width 1/4
        // at batch 128, 12 natural and 5 PGD-3 turns; four times as many at width 1/8, twice at batch 64.
        static int Turns(int atLargest, double width, int batch) => (int)Math.Round(atLargest * (0.25 / width) * (0.25 / width) * (128.0 / batch));
        var widths = context.Quick ? new[] { 0.125 } : [0.125, 0.25];
        var batches = context.Quick ? new[] { 64 } : [64, 128];
        string? note = null;
        foreach (double width in widths)
            foreach (int batch in batches)
            {
                var setting = new TrainSetting(11, width, batch, 3);
                int natural = context.Quick ? 1 : Turns(12, width, batch), pgd = context.Quick ? 1 : Turns(5, width, batch);
                var figures = TrainComparison.Measure(setting, natural, pgd, burst: 3, [Precision.Fp32, Precision.Bf16], context, out note);
                TrainComparison.Report(result, $"x{width} b{batch} ", setting, figures, peaks, null);
                if (figures.Theirs.Count == 0) break;
            }
        if (note is not null && !result.Figures.Any(f => f.Name.Contains("PyTorch"))) result.Notes.Add(note);
        return result;
    }
}
