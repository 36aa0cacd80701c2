using Maskbench.Attacks;

namespace Maskbench.Bench.Entries;

/// <summary>
/// Training throughput where CPU users train: VGG-11 at widths 1/8 and 1/4, batch 64 and 128, natural and PGD-3
/// steps, ours (float32 and bf16) against PyTorch eager with the same threads (float32, and bfloat16 autocast with
/// channels-last), through the same shared measurement as `train` (fastest step of interleaved rounds).
/// </summary>
public sealed class TrainSmallBenchmark : IBenchmark
{
    public string Name => "train-small";
    public string Description => "VGG-11 at widths 1/8 and 1/4, batch 64 and 128, natural and PGD-3 training images/s vs PyTorch eager";

    public BenchmarkResult Run(BenchmarkContext context)
    {
        var result = new BenchmarkResult();
        var peaks = MatmulPeaks.Measure();
        int natural = context.Quick ? 1 : 4, pgd = context.Quick ? 1 : 2;
        var widths = context.Quick ? new[] { 0.125 } : [0.125, 0.25];
        var batches = context.Quick ? new[] { 64 } : [64, 128];
        string? note = null;
        foreach (double width in widths)
            foreach (int batch in batches)
            {
                var setting = new TrainSetting(11, width, batch, 3);
                var figures = TrainComparison.Measure(setting, natural, pgd, rounds: 2, [Precision.Fp32, Precision.Bf16], context, out note);
                TrainComparison.Report(result, $"x{width} b{batch} ", setting, figures, peaks, null);
                if (figures.Theirs.Count == 0) break;
            }
        if (note is not null && !result.Figures.Any(f => f.Name.Contains("PyTorch"))) result.Notes.Add(note);
        return result;
    }
}
