using Maskbench.Masks.Sources;
using Maskbench.Attacks;
using Maskbench.Batching;
using Maskbench.Data;
using Maskbench.Evaluation;
using Maskbench.Masks;
using Maskbench.Models;
using Maskbench.Progress;
using Maskbench.Runtime;
using Maskbench.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Maskbench.Experiments;

/// <summary>
/// The grid's TorchSharp side: trains with <see cref="Trainer"/> on the dataset's "train" split, fed the masks of the
/// model's <see cref="MaskSource"/>, and evaluates with <see cref="RobustnessEvaluator"/> on rows of the "test" split.
/// A masked model multiplies its input by the mask inside the target, so an adversary on the full image meets the
/// same model as one on the foreground.
/// </summary>
public sealed class TorchExperimentBackend : IExperimentBackend, IDisposable
{
    readonly Dataset _dataset;
    readonly string _testSplit;
    readonly string _datasetSha256;
    readonly Device _device;
    readonly int _validationCount, _validationSteps, _evalBatch;
    /// <summary>How many examples of the paper's PGD go into the report's image grid.</summary>
    public int ExamplesToDraw { get; init; } = 4;

    public TorchExperimentBackend(string datasetFolder, string datasetSha256, Device device, int validationCount, int validationSteps,
        int evalBatch = 100)
    {
        _dataset = DatasetStore.Open(datasetFolder);
        // COCO-style datasets call their held-out split "val".
        _testSplit = _dataset.HasSplit("test") ? "test" : "val";
        foreach (string split in new[] { "train", _testSplit })
            if (!_dataset.HasSplit(split))
                throw new MaskbenchException($"{datasetFolder}: the dataset has no '{split}' split (it has {string.Join(", ", _dataset.SplitNames)}; "
                    + "the grid needs train and test or val)");
        // Opening a split checks its arrays against the manifest's SHA-256: a changed dataset is refused before any cell runs.
        _dataset.Split("train");
        _dataset.Split(_testSplit);
        _datasetSha256 = datasetSha256;
        _device = device;
        _validationCount = validationCount;
        _validationSteps = validationSteps;
        _evalBatch = evalBatch;
    }

    Models.ModelSpec ArchitectureOf(GridModel model)
    {
        var (mean, std) = Models.ModelSpec.DefaultNormalization(3);
        return new Models.ModelSpec
        {
            Arch = model.Arch, Classes = _dataset.Manifest.ClassNames.Count, InputSize = _dataset.Manifest.ImageSize,
            Width = model.Width, Mean = mean, Std = std, Masked = model.Mask.MasksInput,
        };
    }

    public TrainedModel Train(GridModel model, string runFolder, IProgressSink progress)
    {
        var split = _dataset.Split("train");   // owned by the dataset (cached), not disposed here
        var arrays = model.Mask.ForTraining(split.Load(), _device);
        var options = new TrainingOptions
        {
            Mode = model.IsAdversarial ? TrainingMode.Pgd : TrainingMode.Natural,
            Epochs = model.Epochs, BatchSize = model.BatchSize, LearningRate = model.LearningRate, Schedule = model.Schedule,
            Epsilon = model.TrainEpsilon, EpsilonWarmupEpochs = model.TrainEpsilonWarmup, Steps = Math.Max(1, model.TrainSteps),
            StepSize = model.IsAdversarial ? model.TrainStepSize : 1.0 / 255,
            Seed = model.Seed, Masked = model.Mask.MasksInput, LimitTrain = model.TrainLimit > 0 ? model.TrainLimit : null,
            ValidationCount = _validationCount, ValidationSteps = _validationSteps,
            HorizontalFlip = _dataset.Manifest.HorizontalFlipPreservesLabels, Precision = model.Precision,
        };
        var result = TrainResuming(options, arrays, model, runFolder, progress, attempts: 2);
        var curve = result.Epochs.Select(e => new Dictionary<string, double>
        {
            ["epoch"] = e.Epoch, ["loss"] = e.TrainLoss, ["train_accuracy"] = e.TrainAccuracy,
            ["validation_natural_accuracy"] = e.ValidationNaturalAccuracy, ["validation_pgd_accuracy"] = e.ValidationPgdAccuracy,
            ["seconds"] = e.Seconds,
        }.Where(kv => double.IsFinite(kv.Value)).ToDictionary()).ToList();
        return new TrainedModel(new RunFolder(runFolder).Last, curve);
    }

    /// <summary>
    /// Trains, continuing a run folder left by a killed grid from its last epoch. A libtorch error during training is
    /// retried once from the last checkpoint, which the trainer writes after every epoch; a second failure is reported.
    /// (The error once seen here, "For integral input tensors, argument alpha must not be a floating point number",
    /// was a TorchSharp scalar freed by the finalizer mid-call; <see cref="Runtime.NoCollectionZone"/> now prevents it.)
    /// </summary>
    TrainingResult TrainResuming(TrainingOptions options, SplitArrays arrays, GridModel model, string runFolder, IProgressSink progress, int attempts)
    {
        var run = new RunFolder(runFolder);
        bool resume = File.Exists(run.Last) && File.Exists(run.RunJson);
        // Killed before its first epoch ended: nothing worth keeping, and the trainer refuses a non-empty folder.
        if (!resume && Directory.Exists(runFolder)) Directory.Delete(runFolder, recursive: true);
        try
        {
            return new Trainer(options, progress) { InputMasks = model.Mask.Record() }.Train(arrays, ArchitectureOf(model),
                new DatasetIdentity(_dataset.Folder, _datasetSha256, _dataset.Manifest.Name), _dataset.Manifest.ClassNames, runFolder, resume,
                _device);
        }
        catch (System.Runtime.InteropServices.ExternalException e) when (attempts > 1)
        {
            progress.Info($"training {model.Id} failed in libtorch ({e.Message.Split('\n')[0].Split(" Exception raised")[0]}); resuming from its "
                + "last checkpoint");
            return TrainResuming(options, arrays, model, runFolder, progress, attempts - 1);
        }
    }

    /// <summary>The test rows evaluated: all, or a fixed random subset of <paramref name="limit"/> rows (the same for every cell).</summary>
    public static int[] TestRows(int count, int limit)
    {
        if (limit <= 0 || limit >= count) return Enumerable.Range(0, count).ToArray();
        var order = Enumerable.Range(0, count).ToArray();
        new Random(20190127).Shuffle(order);
        return order[..limit].Order().ToArray();
    }

    /// <summary>
    /// The test rows evaluated: all, or a stratified sample of <paramref name="limit"/> rows that keeps each class's share
    /// of the split (largest-remainder rounding, ties to the lower class index; rows within a class by a fixed
    /// shuffle), the same for every cell.
    /// </summary>
    public static int[] StratifiedTestRows(IReadOnlyList<long> labels, int limit)
    {
        int count = labels.Count;
        if (limit <= 0 || limit >= count) return Enumerable.Range(0, count).ToArray();
        var byClass = Enumerable.Range(0, count).GroupBy(i => labels[i]).OrderBy(g => g.Key).Select(g => g.ToArray()).ToList();
        var quota = byClass.Select(rows => (long)limit * rows.Length / count).Select(q => (int)q).ToArray();
        int left = limit - quota.Sum();
        foreach (int c in Enumerable.Range(0, byClass.Count)
                     .OrderByDescending(c => (long)limit * byClass[c].Length % count).ThenBy(c => c).Take(left))
            quota[c]++;
        var rng = new Random(20190127);
        var chosen = new List<int>(limit);
        for (int c = 0; c < byClass.Count; c++)
        {
            var rows = byClass[c].ToArray();
            rng.Shuffle(rows);
            chosen.AddRange(rows[..quota[c]]);
        }
        return chosen.Order().ToArray();
    }

    public EvaluationOutcome Evaluate(GridModel model, TrainedModel trained, GridAttack spec, IProgressSink progress)
    {
        var attack = spec.CreateAttack();
        var split = _dataset.Split(_testSplit);
        var rows = StratifiedTestRows(split.Labels, spec.TestLimit);
        var (classifier, _) = AttackedModel.LoadClassifier(trained.CheckpointPath, _device, trained.CheckpointSha256);
        using var _ = classifier;
        var attacked = AttackedModel.FromModule(classifier, model.Mask, model.Id);
        var options = new EvaluationOptions { Epsilons = [spec.Epsilon], Region = spec.Threat, Rows = rows, BatchSize = _evalBatch,
            Device = _device };

        var fractions = new List<double>(rows.Length);
        AdversarialExamples? examples = null;
        void Observe(EvaluatedBatch seen)
        {
            var batch = seen.Batch;
            fractions.AddRange(batch.Masks.flatten(1).mean([1]).to_type(ScalarType.Float64).cpu().data<double>().ToArray());
            if (examples is not null || ExamplesToDraw <= 0 || spec.Epsilon <= 0) return;
            // Show what the attack did: first examples it turned from right to wrong, then ones it could not
            // turn, and only then ones that were wrong to begin with (whose adversarial image is the clean one).
            var result = seen.Result;
            var chosen = Enumerable.Range(0, batch.Count).OrderBy(i => result.Examples[i] switch
            {
                { Fooled: true, Step: > 0 } => 0,
                { Fooled: false } => 1,
                _ => 2,
            }).ThenBy(i => i).Take(ExamplesToDraw).ToArray();
            examples = Draw(batch.Images, seen.InputMasks ?? batch.Masks, result.Adversarial, chosen);
        }
        var report = RobustnessEvaluator.Evaluate(split, $"{_testSplit} ({model.Id}, {spec.Attack} ε={spec.Epsilon * 255:0.#}/255)", attacked,
            attack, options,
            progress, spec.Precision, spec.Seed, observe: Observe);
        var outcomes = report.Examples;
        return new EvaluationOutcome(outcomes.Select(o => o.Row).ToArray(), outcomes.Select(o => o.Label).ToArray(), fractions.ToArray(),
            outcomes.Select(o => o.FirstFoolingEpsilon is null).ToArray(), examples);
    }

    static AdversarialExamples Draw(Tensor clean, Tensor masks, Tensor adversarial, int[] rows)
    {
        RgbImage ToImage(Tensor t)
        {
            int s = (int)t.shape[2];
            var chw = (t.clamp(0, 1) * 255).round().to_type(ScalarType.Byte).cpu().data<byte>().ToArray();
            var rgb = new byte[s * s * 3];
            for (int p = 0; p < s * s; p++)
                for (int c = 0; c < 3; c++) rgb[p * 3 + c] = chw[c * s * s + p];
            return new RgbImage(s, s, rgb);
        }
        BinaryMask ToMask(Tensor t)
        {
            int s = (int)t.shape[2];
            return new BinaryMask(s, s, t.to_type(ScalarType.Byte).cpu().data<byte>().ToArray());
        }
        var c = new List<RgbImage>(); var m = new List<BinaryMask>(); var a = new List<RgbImage>();
        foreach (int i in rows)
        {
            c.Add(ToImage(clean[i])); m.Add(ToMask(masks[i])); a.Add(ToImage(adversarial[i]));
        }
        return new AdversarialExamples(c, m, a);
    }

    public void Dispose() => _dataset.Dispose();
}
