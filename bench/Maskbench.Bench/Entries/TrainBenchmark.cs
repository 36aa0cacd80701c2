using System.Diagnostics;
using Maskbench.Batching;
using Maskbench.Models;
using Maskbench.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Maskbench.Bench.Entries;

/// <summary>
/// Training throughput (images per second) of VGG-19 (batch norm, 32x32, 10 classes, batch 128) for natural and
/// PGD-7 adversarial training steps, timed through <see cref="TrainingStep"/> (the trainer's own code: SGD update,
/// and for PGD the attack library's PgdAttack), against a PyTorch eager loop doing the same work with the same
/// threads (reference/train_reference.py). Data is a fixed random batch, so only the training step is timed; each side's
/// fastest step over two interleaved rounds counts.
/// </summary>
public sealed class TrainBenchmark : IBenchmark
{
    public string Name => "train";
    public string Description => "VGG-19 training images/s, natural and PGD-7, batch 128 at 32x32, vs PyTorch eager";

    public BenchmarkResult Run(BenchmarkContext context)
    {
        const int batch = 128, size = 32, classes = 10;
        int naturalIterations = context.Quick ? 2 : 6;
        int pgdIterations = context.Quick ? 1 : 3;
        var result = new BenchmarkResult();
        // Two rounds, each the reference then ours; every side's fastest step counts, so a burst of load on the shared
        // machine disturbs both sides alike instead of favouring either.
        double natural = 0, pgd = 0, theirNatural = 0, theirPgd = 0;
        string? note = null, torchVersion = null;
        for (int round = 0; round < 2; round++)
        {
            var reference = PythonReference.Run("train_reference.py",
                [batch.ToString(), size.ToString(), classes.ToString(), naturalIterations.ToString(), pgdIterations.ToString(), get_num_threads().ToString()], out note);
            if (reference is not null)
            {
                theirNatural = Math.Max(theirNatural, reference["natural"]!.GetValue<double>());
                theirPgd = Math.Max(theirPgd, reference["pgd"]!.GetValue<double>());
                torchVersion = reference["torch"]?.ToString();
            }
            natural = Math.Max(natural, Measure(TrainingMode.Natural, batch, size, classes, naturalIterations, context));
            pgd = Math.Max(pgd, Measure(TrainingMode.Pgd, batch, size, classes, pgdIterations, context));
        }
        result.Add("natural", natural, "images/s", $"fastest of {2 * naturalIterations} steps");
        result.Add("PGD-7", pgd, "images/s", $"fastest of {2 * pgdIterations} steps");
        if (theirNatural == 0) result.Notes.Add(note ?? "no reference");
        else
        {
            result.Add("PyTorch natural", theirNatural, "images/s", $"torch {torchVersion}");
            result.Add("PyTorch PGD-7", theirPgd, "images/s");
            result.Add("natural ours / PyTorch", natural / theirNatural, "x", "target ≥ 1");
            result.Add("PGD-7 ours / PyTorch", pgd / theirPgd, "x", "target ≥ 1");
        }
        return result;
    }

    static double Measure(TrainingMode mode, int batch, int size, int classes, int iterations, BenchmarkContext context)
    {
        manual_seed(0);
        var options = new TrainingOptions { Mode = mode, Epochs = 1, BatchSize = batch, Steps = 7, StepSize = 2.0 / 255 };
        using var model = ModelFactory.Create("vgg19", classes, size);
        using var optimizer = new SgdMomentum(model.named_parameters(), options.Momentum, options.WeightDecay);
        var step = new TrainingStep(model, optimizer, options);
        using var images = rand(batch, 3, size, size);
        using var masks = ones(batch, 1, size, size);
        using var labels = randint(0, classes, [batch], dtype: ScalarType.Int64);
        using var data = new TensorBatch(images, masks, labels, Enumerable.Range(0, batch).ToArray());
        model.train();
        using var task = context.Progress.Start($"train {mode.ToString().ToLowerInvariant()}", iterations + 1, "steps");
        int iteration = 0;
        double fastest = double.MaxValue;
        for (int i = 0; i <= iterations; i++)   // the first step warms up
        {
            using var scope = NewDisposeScope();
            var watch = Stopwatch.StartNew();
            step.Run(data, 0, ref iteration, iterations + 1);
            if (i > 0) fastest = Math.Min(fastest, watch.Elapsed.TotalSeconds);
            task.Advance();
        }
        return batch / fastest;
    }
}
