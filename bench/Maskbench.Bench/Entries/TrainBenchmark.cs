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
/// timed; the two sides take turns step by step (steps of seconds need no warm-up after the pause) and each side's fastest
/// step counts.
/// </summary>
public sealed class TrainBenchmark : IBenchmark
{
    public string Name => "train";
    public string Description => "VGG-19 training images/s, natural and PGD-7, fp32 and bf16, batch 128 at 32x32, vs PyTorch eager fp32 and bf16";

    public BenchmarkResult Run(BenchmarkContext context)
    {
        var setting = new TrainSetting(19, 1.0, 128, 7);
        int naturalIterations = context.Quick ? 1 : 6;
        int pgdIterations = context.Quick ? 1 : 4;
        var result = new BenchmarkResult();
        var peaks = MatmulPeaks.Measure();
        var figures = TrainComparison.Measure(setting, naturalIterations, pgdIterations, burst: 1, [Precision.Fp32, Precision.Bf16], context,
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

/// <summary>
/// The measurement shared by `train` and `train-small`. The reference runs as a process beside ours that runs steps on
/// request, and the two sides take turns (who goes first alternating, a 30 ms pause between turns), so that both meet
/// the machine in the same state: on a shared host whole seconds run at half speed, which separate runs of each side
/// turned into swings of ±30 % in the ratio. A turn is a burst of steps back to back, as in training; where a burst
/// has more than one step its first is not timed (it wakes the thread pool after the pause). Each side's fastest
/// timed step counts.
/// </summary>
static class TrainComparison
{
    const int Size = 32, Classes = 10;

    // The pause between turns: after a parallel region OpenMP's worker threads spin for milliseconds before they sleep,
    // and spinning beside the other side's steps would slow them.
    const int Gap = 30;

    public static TrainFigures Measure(TrainSetting setting, int naturalTurns, int pgdTurns, int burst, Precision[] precisions,
        BenchmarkContext context, out string? note)
    {
        var ours = new Dictionary<(Precision, bool), double>();
        var theirs = new Dictionary<(Precision, bool), double>();
        using var reference = PythonReference.Start("train_reference.py",
            [setting.Batch.ToString(), Size.ToString(), Classes.ToString(), get_num_threads().ToString(), setting.Depth.ToString(),
             setting.Width.ToString(CultureInfo.InvariantCulture), setting.PgdSteps.ToString()], out note);
        string? torchVersion = reference?.Hello?["torch"]?.ToString();
        foreach (var precision in precisions)
            foreach (bool pgd in new[] { false, true })
            {
                int turns = pgd ? pgdTurns : naturalTurns;
                if (turns <= 0) continue;
                using var task = context.Progress.Start(
                    $"train {setting.Label} {(pgd ? "pgd" : "natural")} {Label(precision)}, ours and PyTorch's in turn", turns + 1, "turns");
                using var step = new OurStep(setting, pgd ? TrainingMode.Pgd : TrainingMode.Natural, precision);
                string request = $"{Label(precision)} {(pgd ? "pgd" : "natural")} {burst}";
                double fastestOurs = double.MaxValue, fastestTheirs = double.MaxValue;
                for (int i = 0; i <= turns; i++)   // the first turn of each side warms up
                {
                    double[]? theirTurn = null;
                    if (i % 2 == 0) theirTurn = TheirTurn(reference, request, burst, ref note);
                    if (reference?.Ended is null) Thread.Sleep(Gap);
                    var ourTurn = new double[burst];
                    for (int k = 0; k < burst; k++) ourTurn[k] = step.Run();
                    if (reference?.Ended is null) Thread.Sleep(Gap);
                    if (i % 2 == 1) theirTurn = TheirTurn(reference, request, burst, ref note);
                    if (i > 0)
                    {
                        fastestOurs = Math.Min(fastestOurs, Timed(ourTurn));
                        if (theirTurn is not null) fastestTheirs = Math.Min(fastestTheirs, Timed(theirTurn));
                    }
                    task.Advance();
                }
                ours[(precision, pgd)] = setting.Batch / fastestOurs;
                // A reference that ended part way gives no figure for this cell (nor for the later ones).
                if (reference?.Ended is null && fastestTheirs < double.MaxValue) theirs[(precision, pgd)] = setting.Batch / fastestTheirs;
            }
        return new TrainFigures(ours, theirs, torchVersion);
    }

    /// <summary>The fastest timed step of a burst: all but the first, where there are more.</summary>
    static double Timed(double[] burst) => burst.Length == 1 ? burst[0] : burst.Skip(1).Min();

    /// <summary>The reference's step times for one turn; null once it has ended (the reason then in <paramref name="note"/>).</summary>
    static double[]? TheirTurn(PythonSession? reference, string request, int burst, ref string? note)
    {
        if (reference is null || reference.Ended is not null) return null;
        string? answer = reference.Request(request, out var ended);
        var times = answer?.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(t => double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double s) ? s : double.NaN).ToArray();
        if (times is not null && times.Length == burst && times.All(double.IsFinite)) return times;
        note = ended ?? $"train_reference.py answered '{answer}' to '{request}'";
        reference.End(note);
        return null;
    }

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

    /// <summary>One of our training steps of a setting, timed: the trainer's own <see cref="TrainingStep"/> on a fixed batch.</summary>
    sealed class OurStep : IDisposable
    {
        readonly DisposeScope _scope = NewDisposeScope();
        readonly ImageClassifier _model;
        readonly SgdMomentum _optimizer;
        readonly TrainingStep _step;
        readonly TensorBatch _data;
        int _iteration;

        public OurStep(TrainSetting setting, TrainingMode mode, Precision precision)
        {
            manual_seed(0);
            int batch = setting.Batch;
            var options = new TrainingOptions { Mode = mode, Epochs = 1, BatchSize = batch, Steps = setting.PgdSteps, StepSize = 2.0 / 255,
                Precision = precision };
            _model = ModelFactory.Create("vgg" + setting.Depth, Classes, Size, width: setting.Width);
            _optimizer = new SgdMomentum(_model.named_parameters(), options.Momentum, options.WeightDecay);
            _step = new TrainingStep(_model, _optimizer, options);
            _data = new TensorBatch(rand(batch, 3, Size, Size), ones(batch, 1, Size, Size), randint(0, Classes, [batch], dtype: ScalarType.Int64),
                Enumerable.Range(0, batch).ToArray());
            _model.train();
        }

        /// <summary>Runs one step; its wall time in seconds.</summary>
        public double Run()
        {
            using var zone = Runtime.NoCollectionZone.Enter();
            using var scope = NewDisposeScope();
            var watch = Stopwatch.StartNew();
            _step.Run(_data, 0, ref _iteration, iterationsPerEpoch: 1_000_000);
            return watch.Elapsed.TotalSeconds;
        }

        public void Dispose()
        {
            _data.Dispose();
            _optimizer.Dispose();
            _model.Dispose();
            _scope.Dispose();
        }
    }
}
