using Maskbench.Masks.Sources;
using System.Diagnostics;
using Maskbench.Attacks;
using Maskbench.Data;
using Maskbench.Data.Mnist;
using Maskbench.Models;
using Maskbench.Progress;
using Maskbench.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Maskbench.Experiments.Mnist;

/// <summary>Settings of the MNIST binarization baseline; the defaults finish in minutes on 2 cores.</summary>
public sealed record MnistBaselineOptions
{
    public int TrainCount { get; init; } = 8000;
    public int TestCount { get; init; } = 2000;
    /// <summary>Test images attacked (a seeded subset of the test split; 0 = all).</summary>
    public int EvaluationLimit { get; init; } = 500;
    public double Width { get; init; } = 0.5;
    public int Epochs { get; init; } = 2;
    public int BatchSize { get; init; } = 64;
    public double LearningRate { get; init; } = 0.02;
    public int Steps { get; init; } = 20;
    public IReadOnlyList<double> Epsilons { get; init; } = [0.1, 0.2, 0.3];
    public double Threshold { get; init; } = 0.5;
    public int Seed { get; init; }
}

/// <summary>
/// The observation that motivates the paper: on MNIST, a plain CNN falls to PGD at ε = 0.3, while the same CNN
/// behind a binarization layer (threshold 0.5) seems robust to plain PGD, because the threshold's gradient is zero.
/// The adaptive attack (BPDA: the threshold's backward pass replaced by the identity, Athalye et al. 2018) shows how
/// much of that robustness is real. The binarized model reuses the plain model's weights: MNIST digits are nearly
/// binary already, so thresholding costs little clean accuracy.
/// </summary>
public static class MnistBaseline
{
    public static MnistResults Run(string idxFolder, MnistBaselineOptions options, string runFolder, Device device, IProgressSink progress)
    {
        var (imagesPath, labelsPath) = MnistIdxReader.Locate(idxFolder);
        var (images, labels) = MnistIdxReader.ReadPair(imagesPath, labelsPath);
        if (images.Rows != 28 || images.Columns != 28) throw new DataFormatException(imagesPath,
            $"images are {images.Rows}x{images.Columns}, MNIST's are 28x28");
        var (trainRows, testRows) = MnistSplit.Indices(images.Count, Math.Min(options.TrainCount, images.Count - 1),
            Math.Min(options.TestCount, images.Count - Math.Min(options.TrainCount, images.Count - 1)), options.Seed);
        var clock = Stopwatch.StartNew();
        using var kernels = Kernels.KernelChecks.Record();

        var (mean, std) = Models.ModelSpec.DefaultNormalization(1);
        var spec = new Models.ModelSpec { Arch = "smallcnn", Classes = 10, InputSize = 28, Channels = 1, Width = options.Width, Mean = mean,
            Std = std };
        var training = new TrainingOptions
        {
            Mode = TrainingMode.Natural, Epochs = options.Epochs, BatchSize = options.BatchSize, LearningRate = options.LearningRate,
            Epsilon = 0, Seed = options.Seed, RandomCrop = false, ValidationCount = 200, ValidationSteps = 1,
        };
        if (Directory.Exists(runFolder)) Directory.Delete(runFolder, recursive: true);
        var trained = new Trainer(training, progress).Train(ToSplit(images, labels, trainRows), spec,
            new DatasetIdentity(idxFolder, CellKey.FileSha256(imagesPath), "mnist-t10k"), Enumerable.Range(0, 10).Select(d => d.ToString()).ToList(),
            runFolder, resume: false, device);
        double trainSeconds = clock.Elapsed.TotalSeconds;

        var (model, _) = Evaluation.AttackedModel.LoadClassifier(new RunFolder(runFolder).Last, device);
        using var _ = model;
        var evalRows = TorchExperimentBackend.TestRows(testRows.Length, options.EvaluationLimit).Select(i => testRows[i]).ToArray();
        using var x = ToTensor(images, evalRows).to(device);
        using var y = tensor(evalRows.Select(r => (long)labels[r]).ToArray()).to(device);

        var plain = new ModuleTarget(model);
        var binarized = new ThresholdTarget(plain, options.Threshold);
        var bpda = new PreprocessedTarget(new Binarize(options.Threshold), plain);
        var results = new MnistResults
        {
            TrainImages = trainRows.Length, TestImages = testRows.Length, EvaluatedImages = evalRows.Length,
            Epochs = options.Epochs, Width = options.Width, Steps = options.Steps, Threshold = options.Threshold,
            Epsilons = options.Epsilons.ToList(), TrainingSeconds = Math.Round(trainSeconds, 1),
            Curve = trained.Epochs.Select(e => new MnistEpoch(e.Epoch, Math.Round(e.TrainLoss, 4), Percent(e.TrainAccuracy))).ToList(),
        };
        using var task = progress.Start("MNIST attacks", 3 * (options.Epsilons.Count + 1), "evaluations");
        foreach (var (name, target) in new (string, IAttackTarget)[] { ("plain CNN, PGD", plain), ("binarized CNN, PGD", binarized),
            ("binarized CNN, BPDA", bpda) })
        {
            var row = new MnistRow { Model = name, Natural = Percent(Accuracy(target, x, y, evalRows, 0, options, device)) };
            task.Advance();
            foreach (double eps in options.Epsilons)
            {
                row.Robust.Add(new MnistPoint(eps, Percent(Accuracy(target, x, y, evalRows, eps, options, device))));
                task.Advance();
            }
            results.Rows.Add(row);
            progress.Info($"{name}: natural {row.Natural:F2}%, " + string.Join(", ", row.Robust.Select(p => $"ε={p.Epsilon}: {p.Accuracy:F2}%")));
        }
        results.Kernels = kernels.Provenance();
        return results;
    }

    static double Percent(double fraction) => ResultsBuilder.Percent(fraction);

    /// <summary>
    /// Robust accuracy at one ε on its own (each ε attacked afresh, as the baseline's table reports it), through the one
    /// evaluator; the digits have no mask, so the adversary has the whole image.
    /// </summary>
    static double Accuracy(IAttackTarget target, Tensor x, Tensor y, int[] rows, double epsilon, MnistBaselineOptions options, Device device)
    {
        const int batch = 250;
        var batches = Enumerable.Range(0, (rows.Length + batch - 1) / batch).Select(b =>
        {
            int start = b * batch, n = Math.Min(batch, rows.Length - start);
            return new Batching.TensorBatch(x.narrow(0, start, n), ones(n, 1, 28, 28, device: device), y.narrow(0, start, n),
                rows[start..(start + n)]);
        });
        var model = new Evaluation.AttackedModel("MNIST", (_, _) => target, new Masks.Sources.MaskSource.NoMask());
        var evaluation = new Evaluation.EvaluationOptions { Epsilons = [epsilon], Region = ThreatRegion.Full, BatchSize = batch, Device = device };
        var report = Evaluation.RobustnessEvaluator.Evaluate(batches, rows.Length, 28, "mnist", model,
            new PgdAttack { Steps = options.Steps, Seed = options.Seed }, evaluation, Progress.NullProgress.Instance, seed: options.Seed);
        return report.Sweep[0].RobustAccuracy;
    }

    /// <summary>Grey digits as RGB rows (the trainer averages the channels back to one), no mask (all ones).</summary>
    static SplitArrays ToSplit(MnistImages images, byte[] labels, int[] rows)
    {
        var split = new SplitArrays(rows.Length, 28);
        Array.Fill(split.Masks, (byte)1);
        for (int i = 0; i < rows.Length; i++)
        {
            var src = images.Image(rows[i]);
            for (int p = 0; p < 784; p++)
                split.Images[(i * 784 + p) * 3] = split.Images[(i * 784 + p) * 3 + 1] = split.Images[(i * 784 + p) * 3 + 2] = src[p];
            split.Labels[i] = labels[rows[i]];
        }
        return split;
    }

    static Tensor ToTensor(MnistImages images, int[] rows)
    {
        var values = new float[rows.Length * 784];
        for (int i = 0; i < rows.Length; i++)
        {
            var src = images.Image(rows[i]);
            for (int p = 0; p < 784; p++) values[i * 784 + p] = src[p] / 255f;
        }
        return tensor(values, [rows.Length, 1, 28, 28]);
    }
}
