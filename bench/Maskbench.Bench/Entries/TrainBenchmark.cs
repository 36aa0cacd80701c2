using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Maskbench.Attacks;
using Maskbench.Batching;
using Maskbench.Models;
using Maskbench.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Maskbench.Bench.Entries;

/// <summary>
/// Training throughput (images per second) of VGG-19 (batch norm, 32x32, 10 classes, batch 128) for natural and
/// PGD-7 adversarial training steps, in float32 and in bf16 (bfloat16 passes, float32 master weights), timed through
/// <see cref="TrainingStep"/> (the trainer's own code: SGD update, and for PGD the training adversary), against a
/// PyTorch eager loop doing the same work with the same threads (reference/train_reference.py) in float32 and in its
/// fastest CPU mode (bfloat16 autocast, channels-last). Data is a fixed random batch, so only the training step is
/// timed; each side's fastest step over two interleaved rounds counts.
/// </summary>
public sealed class TrainBenchmark : IBenchmark
{
    public string Name => "train";
    public string Description => "VGG-19 training images/s, natural and PGD-7, fp32 and bf16, batch 128 at 32x32, vs PyTorch eager fp32 and bf16";

    public BenchmarkResult Run(BenchmarkContext context)
    {
        var setting = new TrainSetting(19, 1.0, 128, 7);
        int naturalIterations = context.Quick ? 1 : 3;
        int pgdIterations = context.Quick ? 1 : 2;
        var result = new BenchmarkResult();
        var peaks = MatmulPeaks.Measure();
        var figures = TrainComparison.Measure(setting, naturalIterations, pgdIterations, rounds: 2, [Precision.Fp32, Precision.Bf16], context,
            out var note);
        TrainComparison.Report(result, "", setting, figures, peaks, note);
        return result;
    }
}

/// <summary>One training configuration: VGG depth, width, batch, PGD steps of the adversarial kind.</summary>
sealed record TrainSetting(int Depth, double Width, int Batch, int PgdSteps)
{
    public string Label => $"VGG-{Depth} x{Width.ToString(CultureInfo.InvariantCulture)}, batch {Batch}";
}

/// <summary>Ours and PyTorch's images/s for natural and PGD-K training steps, per precision.</summary>
sealed record TrainFigures(Dictionary<(Precision, bool Pgd), double> Ours, Dictionary<(Precision, bool Pgd), double> Theirs, string? TorchVersion);

/// <summary>The measurement shared by `train` and `train-small`: interleaved rounds of the reference and ours.</summary>
static class TrainComparison
{
    const int Size = 32, Classes = 10;

    public static TrainFigures Measure(TrainSetting setting, int naturalIterations, int pgdIterations, int rounds, Precision[] precisions,
        BenchmarkContext context, out string? note)
    {
        var ours = new Dictionary<(Precision, bool), double>();
        var theirs = new Dictionary<(Precision, bool), double>();
        string? torchVersion = null;
        note = null;
        string modes = string.Join(",", precisions.Select(Label));
        for (int round = 0; round < rounds; round++)
        {
            var reference = PythonReference.Run("train_reference.py",
                [setting.Batch.ToString(), Size.ToString(), Classes.ToString(), naturalIterations.ToString(), pgdIterations.ToString(),
                    get_num_threads().ToString(),
                 setting.Depth.ToString(), setting.Width.ToString(CultureInfo.InvariantCulture), setting.PgdSteps.ToString(), modes], out note);
            if (reference is not null)
            {
                torchVersion = reference["torch"]?.ToString();
                foreach (var precision in precisions)
                {
                    string prefix = precision == Precision.Fp32 ? "" : Label(precision) + "_";
                    Keep(theirs, (precision, false), reference[prefix + "natural"]!.GetValue<double>());
                    Keep(theirs, (precision, true), reference[prefix + "pgd"]!.GetValue<double>());
                }
            }
            foreach (var precision in precisions)
            {
                Keep(ours, (precision, false), MeasureOurs(setting, TrainingMode.Natural, precision, naturalIterations, context));
                Keep(ours, (precision, true), MeasureOurs(setting, TrainingMode.Pgd, precision, pgdIterations, context));
            }
        }
        return new TrainFigures(ours, theirs, torchVersion);
    }

    static void Keep(Dictionary<(Precision, bool), double> figures, (Precision, bool) key, double value) =>
        figures[key] = Math.Max(figures.GetValueOrDefault(key), value);

    public static string Label(Precision precision) => precision == Precision.Bf16 ? "bf16" : "fp32";

    public static void Report(BenchmarkResult result, string prefix, TrainSetting setting, TrainFigures figures, MatmulPeaks peaks, string? note)
    {
        foreach (var ((precision, pgd), rate) in figures.Ours.OrderBy(kv => kv.Key.Item2).ThenBy(kv => kv.Key.Item1))
        {
            string kind = pgd ? $"PGD-{setting.PgdSteps}" : "natural";
            double gflops = rate * VggFlops.TrainingImage(setting.Depth, setting.Width, pgd ? setting.PgdSteps : 0) / 1e9;
            result.Add($"{prefix}{kind} {Label(precision)}", rate, "images/s",
                $"{setting.Label}; {gflops:G3} GFLOP/s, {peaks.Share(gflops, precision)}");
            if (figures.Theirs.TryGetValue((precision, pgd), out var theirs) && theirs > 0)
            {
                result.Add($"{prefix}PyTorch {kind} {Label(precision)}", theirs, "images/s",
                    $"torch {figures.TorchVersion}, eager{(precision == Precision.Bf16 ? ", autocast bf16, channels-last" : "")}");
                result.Add($"{prefix}{kind} {Label(precision)} ours / PyTorch {Label(precision)}", rate / theirs, "x", "target ≥ 1");
            }
        }
        if (figures.Theirs.Count == 0) result.Notes.Add(note ?? "no reference");
    }

    /// <summary>Images per second of the fastest of <paramref name="iterations"/> timed steps after a warm-up step.</summary>
    static double MeasureOurs(TrainSetting setting, TrainingMode mode, Precision precision, int iterations, BenchmarkContext context)
    {
        if (iterations <= 0) return 0;
        using var outer = NewDisposeScope();
        manual_seed(0);
        int batch = setting.Batch;
        var options = new TrainingOptions { Mode = mode, Epochs = 1, BatchSize = batch, Steps = setting.PgdSteps, StepSize = 2.0 / 255,
            Precision = precision };
        using var model = ModelFactory.Create("vgg" + setting.Depth, Classes, Size, width: setting.Width);
        using var optimizer = new SgdMomentum(model.named_parameters(), options.Momentum, options.WeightDecay);
        var step = new TrainingStep(model, optimizer, options);
        var images = rand(batch, 3, Size, Size);
        var masks = ones(batch, 1, Size, Size);
        var labels = randint(0, Classes, [batch], dtype: ScalarType.Int64);
        using var data = new TensorBatch(images, masks, labels, Enumerable.Range(0, batch).ToArray());
        model.train();
        using var task = context.Progress.Start($"train {setting.Label} {mode.ToString().ToLowerInvariant()} {Label(precision)}", iterations + 1,
            "steps");
        int iteration = 0;
        double fastest = double.MaxValue;
        for (int i = 0; i <= iterations; i++)   // the first step warms up
        {
            using var zone = Runtime.NoCollectionZone.Enter();
            using var scope = NewDisposeScope();
            var watch = Stopwatch.StartNew();
            step.Run(data, 0, ref iteration, iterations + 1);
            if (i > 0) fastest = Math.Min(fastest, watch.Elapsed.TotalSeconds);
            task.Advance();
        }
        return batch / fastest;
    }
}
