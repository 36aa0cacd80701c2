using Maskbench.Kernels;
using System.Diagnostics;
using Maskbench.Batching;
using Maskbench.Data;
using Maskbench.Masks.Learned;
using Maskbench.Masks;
using Maskbench.Models;
using Maskbench.Progress;
using Maskbench.Runtime;
using TorchSharp;
using static TorchSharp.torch;
using Maskbench.Files;

namespace Maskbench.Training;

/// <summary>What a finished (or resumed-and-finished) run reports.</summary>
public sealed record TrainingResult(string RunFolder, IReadOnlyList<EpochMetrics> Epochs, int BestEpoch);

/// <summary>
/// Trains one classifier into a run folder (<see cref="RunFolder"/>): natural, PGD (Madry et al. 2018), fast (Wong et
/// al. 2020) or free (Shafahi et al. 2019) adversarial training with SGD, momentum and weight decay. On masked data
/// (<see cref="TrainingOptions.Masked"/>) the model always sees <c>x * mask</c> and the adversary's threat mask is the
/// batch mask, so it perturbs the foreground only. Every epoch ends with validation on a held-out slice of the
/// training split, an atomic checkpoint (last.ckpt, and best.ckpt when robust validation accuracy improved) and
/// metrics.jsonl. Determinism: the shuffle, the augmentation and libtorch's generator are re-seeded from
/// (seed, epoch) at each epoch's start, so a resumed run repeats an uninterrupted one bit for bit on the same device
/// and thread count. With <see cref="TrainingOptions.Joint"/> the masker is trained with the classifier
/// (<see cref="JointTrainingStep"/>) and written, at the best epoch, to the run's <see cref="JointMaskerFolder"/>.
/// </summary>
public sealed class Trainer(TrainingOptions options, IProgressSink progress)
{
    public TrainingOptions Options { get; } = options;

    /// <summary>
    /// Where the masks of the arrays given to <see cref="Train"/> came from, recorded in run.json so that evaluation feeds
    /// the model the same kind (<see cref="RunInfo.InputMasks"/>). Null: the dataset's masks when masked, none otherwise.
    /// </summary>
    public InputMaskRecord? InputMasks { get; init; }

    /// <summary>The folder inside a joint run that holds the fine-tuned masker of best.ckpt (a <see cref="MaskerRun"/>).</summary>
    public const string JointMaskerFolder = "masker";

    /// <summary>Indices of the validation slice and the training subset (deterministic in the seed).</summary>
    public (int[] Validation, int[] Train) Split(int count)
    {
        var order = Enumerable.Range(0, count).ToArray();
        new Random(Options.Seed).Shuffle(order);
        int validation = Math.Min(Options.ValidationCount, count / 2);
        var train = order[validation..];
        if (Options.LimitTrain is int limit && limit < train.Length) train = train[..limit];
        return (order[..validation], train);
    }

    public TrainingResult Train(SplitArrays data, ModelSpec spec, DatasetIdentity dataset, IReadOnlyList<string> classNames,
        string runPath, bool resume, Device device, CancellationToken cancellation = default)
    {
        Options.Validate();
        if (spec.Masked != Options.Masked) throw new ArgumentException("model spec and options disagree on masking");
        // A joint run's classifier sees the predictions of the masker it tunes, written into the run folder.
        var inputMasks = Options.Joint is not null
            ? new InputMaskRecord(MaskKind.Predicted, Masker: Path.GetFullPath(Path.Combine(runPath, JointMaskerFolder)))
            : InputMasks ?? InputMaskRecord.Dataset(Options.Masked);
        if (inputMasks.MasksInput != Options.Masked) throw new ArgumentException("the input masks and the options disagree on masking");
        if (spec.InputSize != data.ImageSize) throw new MaskbenchException(
            $"the dataset's images are {data.ImageSize}x{data.ImageSize}, the model expects {spec.InputSize}");
        long maxLabel = data.Labels.Length == 0 ? -1 : data.Labels.Max();
        if (maxLabel >= spec.Classes) throw new MaskbenchException($"the dataset has label {maxLabel}, the model has {spec.Classes} classes");
        var (validation, train) = Split(data.Count);
        if (train.Length == 0) throw new MaskbenchException("no training images left after the validation slice");
        if (Options.Joint is not null && resume)
            throw new MaskbenchException($"{runPath}: a joint run cannot be resumed (its checkpoints hold the classifier, not the masker's optimizer "
                + "state); start it again");
        // The masker is loaded before the classifier's seeding, so that the classifier starts from the same weights as without it.
        using var masker = Options.Joint is { } joint ? LoadJointMasker(joint, spec, device) : null;
        var run = new RunFolder(runPath);
        var info = new RunInfo
        {
            Model = spec, Options = Options, Dataset = dataset, ClassNames = classNames,
            TrainCount = train.Length, ValidationCount = validation.Length,
            Threads = device.type == DeviceType.CPU ? get_num_threads() : null,
            InputMasks = inputMasks,
        };
        manual_seed(Options.Seed);
        using var model = ModelFactory.Create(spec);
        model.to(device);
        using var optimizer = new SgdMomentum(model.named_parameters(), Options.Momentum, Options.WeightDecay);
        var history = new List<EpochMetrics>();
        int startEpoch = 0;
        // run.json records the new epoch count only once an epoch beyond the old count is saved, so a failed
        // extension leaves the run as it was.
        bool extend = false;
        // A run killed before its first checkpoint has run.json and nothing else worth keeping: it starts over,
        // with or without --resume (with --resume, only if the options match).
        bool started = File.Exists(run.RunJson) && !File.Exists(run.Last);
        if (resume && File.Exists(run.Last))
        {
            var previous = run.ReadInfo();
            extend = CheckResumable(run, previous, info);
            (startEpoch, var checkpointLines) = Checkpoint.Load(run.Last, model, optimizer);
            history = RestoreTimings(checkpointLines.Select(EpochMetrics.Parse), run);
            progress.Info($"resuming {runPath} after epoch {startEpoch}");
        }
        else if (resume && !started)
            throw new MaskbenchException($"{runPath}: nothing to resume (no run.json or last.ckpt); run without --resume to start it");
        else
        {
            if (started && resume) CheckResumable(run, run.ReadInfo(), info);
            if (started) progress.Info($"{runPath}: no epoch had finished before the run stopped; starting it from the beginning");
            else if (File.Exists(run.Last))
                throw new MaskbenchException($"{runPath} already holds a run; pass --resume to continue it or choose another --out");
            Directory.CreateDirectory(runPath);
            run.WriteInfo(info);
        }
        using var kernels = KernelChecks.Record();
        var builder = new BatchBuilder(data, spec.Channels, device);
        using var jointStep = masker is null ? null : new JointTrainingStep(model, optimizer, masker, Options);
        ITrainingStep step = jointStep is null ? new TrainingStep(model, optimizer, Options) : jointStep;
        var maskerEpochs = new List<MaskerEpoch>();
        for (int epoch = startEpoch; epoch < Options.Epochs; epoch++)
        {
            var watch = Stopwatch.StartNew();
            var (loss, accuracy) = TrainEpoch(model, builder, step, train, epoch, cancellation);
            double natural, robust;
            JointValidation? jointValidation = null;
            if (jointStep is null) (natural, robust) = Validate(model, builder, validation);
            else
            {
                jointValidation = jointStep.Validate(builder, validation);
                (natural, robust) = (jointValidation.Natural, jointValidation.Robust);
                var (segmentation, trainIoU) = jointStep.EpochMasker;
                maskerEpochs.Add(new MaskerEpoch(epoch + 1, segmentation, trainIoU, Math.Round(watch.Elapsed.TotalSeconds, 3)));
            }
            double best = history.Count == 0 ? double.NegativeInfinity : history.Max(Score);
            var metrics = new EpochMetrics
            {
                Epoch = epoch + 1,
                LearningRate = LearningRates.At(Options, epoch, 0, Iterations(train.Length)),
                TrainLoss = loss, TrainAccuracy = accuracy,
                ValidationNaturalAccuracy = natural, ValidationPgdAccuracy = robust,
                TrainImages = train.Length, Seconds = Math.Round(watch.Elapsed.TotalSeconds, 3),
            };
            metrics = metrics with { Best = Score(metrics) > best };
            history.Add(metrics);
            // The checkpoint holds no wall-clock time, so that two runs with the same seed write identical files.
            Checkpoint.Save(run.Last, model, optimizer, epoch + 1, history.Select(m => m.WithoutTiming().ToJsonLine()).ToList());
            if (metrics.Best && jointStep is not null)
                WriteJointMasker(jointStep.Masker, Path.Combine(runPath, JointMaskerFolder), dataset, maskerEpochs, jointValidation!, runPath,
                    epoch + 1);
            if (metrics.Best) AtomicFile.Copy(run.Last, run.Best);
            if (extend) { run.WriteInfo(info); extend = false; }
            run.WriteMetrics(history.Select(m => m.ToJsonLine()));
            run.WriteKernels(kernels.Provenance());
            string maskerLine = jointValidation is null ? "" : $", masker: segmentation loss {maskerEpochs[^1].Loss:F4}, train IoU "
                + $"{maskerEpochs[^1].TrainIoU:F3}, val IoU {jointValidation.MaskIoU.Mean:F3}";
            progress.Info($"epoch {epoch + 1}/{Options.Epochs}: loss {loss:F4}, train acc {accuracy:P1}, val natural "
                + $"{natural:P1}{(Options.Epsilon > 0 ? $", val PGD {robust:P1}" : "")}"
                + $"{maskerLine}{(metrics.Best ? " (best)" : "")}, {metrics.Seconds:F1} s, working set {Environment.WorkingSet / (1024 * 1024)} MiB");
        }
        int bestEpoch = history.Count == 0 ? 0 : history.MaxBy(Score)!.Epoch;
        return new TrainingResult(runPath, history, bestEpoch);
    }

    /// <summary>
    /// The checkpoint's metrics with the epoch times of metrics.jsonl put back where that file agrees with the
    /// checkpoint on everything else (a kill after the checkpoint but before metrics.jsonl was rewritten loses a time).
    /// </summary>
    static List<EpochMetrics> RestoreTimings(IEnumerable<EpochMetrics> fromCheckpoint, RunFolder run)
    {
        var timed = new Dictionary<EpochMetrics, double>();
        if (File.Exists(run.Metrics))
            foreach (var line in File.ReadLines(run.Metrics).Where(l => l.Length > 0))
            {
                EpochMetrics m;
                try { m = EpochMetrics.Parse(line); }
                catch (System.Text.Json.JsonException) { continue; }
                timed[m.WithoutTiming()] = m.Seconds;
            }
        return fromCheckpoint.Select(m => timed.TryGetValue(m.WithoutTiming(), out var seconds) ? m with { Seconds = seconds } : m).ToList();
    }

    /// <summary>
    /// Robust accuracy first (robust overfitting: Rice et al. 2020), natural accuracy breaks ties (its weight is below
    /// one example's share for any validation slice under a million images). Without validation the latest epoch wins.
    /// </summary>
    static double Score(EpochMetrics m) =>
        double.IsNaN(m.ValidationPgdAccuracy) ? m.Epoch : m.ValidationPgdAccuracy + m.ValidationNaturalAccuracy * 1e-6;

    int Iterations(int trainCount) =>
        (trainCount + Options.BatchSize - 1) / Options.BatchSize * (Options.Mode == TrainingMode.Free ? Options.FreeReplays : 1);

    /// <summary>Refuses a resume with other settings; returns whether the epoch count grows (run.json to be rewritten).</summary>
    bool CheckResumable(RunFolder run, RunInfo previous, RunInfo now)
    {
        string Problem(string what) => $"{run.RunJson}: cannot resume, {what} differs from this command's (start a new --out instead)";
        if (previous.Model with { Mean = [], Std = [] } != now.Model with { Mean = [], Std = [] }
            || !previous.Model.Mean.SequenceEqual(now.Model.Mean) || !previous.Model.Std.SequenceEqual(now.Model.Std))
            throw new MaskbenchException(Problem("the model"));
        if (previous.Options with { Epochs = 0 } != now.Options with { Epochs = 0 }) throw new MaskbenchException(Problem("a training option"));
        if (previous.Dataset.Sha256 != now.Dataset.Sha256) throw new MaskbenchException(Problem("the dataset"));
        if (previous.InputMasksOrDefault != now.InputMasksOrDefault)
            throw new MaskbenchException(Problem("the source of the input masks"));
        if (previous.Threads is int before && now.Threads is int threads && before != threads)
            progress.Info($"note: the run used {before} libtorch threads and this process uses {threads} (--threads); " +
                "it continues correctly but not bit-identically to an uninterrupted run");
        if (previous.Options.Epochs == now.Options.Epochs) return false;
        progress.Info($"extending the run from {previous.Options.Epochs} to {now.Options.Epochs} epochs");
        return true;
    }

    /// <summary>The per-epoch seed: a fixed mix of (seed, epoch), so each epoch's randomness is independent of history.</summary>
    public static int EpochSeed(int seed, int epoch) => HashCode32((uint)seed * 0x9E3779B1u + (uint)epoch * 0x85EBCA77u + 0x165667B1u);

    static int HashCode32(uint h)
    {
        // murmur3 finalizer: spreads nearby (seed, epoch) pairs over the whole range.
        h ^= h >> 16; h *= 0x85EBCA6B; h ^= h >> 13; h *= 0xC2B2AE35; h ^= h >> 16;
        return (int)(h & 0x7FFFFFFF);
    }

    static MaskUNet LoadJointMasker(JointTrainingOptions joint, ModelSpec spec, Device device)
    {
        var masker = new MaskerRun(joint.Masker).Load(device);
        if (masker.Spec.InputSize != spec.InputSize || masker.Spec.Channels != spec.Channels)
        {
            var (size, channels) = (masker.Spec.InputSize, masker.Spec.Channels);
            masker.Dispose();
            throw new MaskbenchException($"{joint.Masker}: the masker takes {channels}-channel {size}x{size} images, the classifier "
                + $"{spec.Channels}-channel {spec.InputSize}x{spec.InputSize} ones; the pipeline feeds both the same image");
        }
        return masker;
    }

    /// <summary>The fine-tuned masker, exported as train-masker exports one, with where it came from and how it was tuned.</summary>
    void WriteJointMasker(MaskUNet masker, string folder, DatasetIdentity dataset, List<MaskerEpoch> epochs, JointValidation validation,
        string runPath, int epoch)
    {
        var joint = Options.Joint!;
        var source = new MaskerRun(joint.Masker).ReadInfo();
        var info = new MaskerInfo
        {
            Spec = masker.Spec, Options = source.Options, Dataset = dataset, Parameters = masker.ParameterCount, Epochs = epochs.ToList(),
            Test = validation.MaskIoU.Count == 0 ? null : new MaskerQuality("validation slice of train", validation.MaskIoU,
                validation.MaskIoUPerClass, null, null),
            FineTuning = new MaskerFineTuning(Path.GetFullPath(joint.Masker), Path.GetFullPath(runPath), epoch, joint.SegmentationWeight,
                joint.MaskerLearningRate, Options.Mode, joint.Mask),
        };
        new MaskerRun(folder).Write(masker, info);
    }

    (double Loss, double Accuracy) TrainEpoch(ImageClassifier model, BatchBuilder builder, ITrainingStep step, int[] train, int epoch,
        CancellationToken cancellation)
    {
        int seed = EpochSeed(Options.Seed, epoch);
        manual_seed(seed);
        var random = new Random(seed);
        var order = (int[])train.Clone();
        random.Shuffle(order);
        var augmentations = builder.Draw(random, order.Length, Options.RandomCrop, Options.HorizontalFlip);
        model.train();
        step.StartEpoch();
        int iterationsPerEpoch = Iterations(train.Length);
        double lossSum = 0;
        long correct = 0, seen = 0;
        using var task = progress.Start($"epoch {epoch + 1}/{Options.Epochs} ({Options.Mode.ToString().ToLowerInvariant()})", order.Length, "images");
        int iteration = 0;
        for (int start = 0; start < order.Length; start += Options.BatchSize)
        {
            // Stopping between batches leaves last.ckpt at the previous epoch's end, where --resume picks up.
            cancellation.ThrowIfCancellationRequested();
            int n = Math.Min(Options.BatchSize, order.Length - start);
            // No garbage collection during the batch: see NoCollectionZone (TorchSharp scalars freed mid-call).
            using var zone = NoCollectionZone.Enter(builder.ManagedBytes(n));
            using var scope = NewDisposeScope();
            using var batch = builder.Build(new ArraySegment<int>(order, start, n), augmentations[start..(start + n)]);
            var outcome = step.Run(batch, epoch, ref iteration, iterationsPerEpoch);
            if (!double.IsFinite(outcome.Loss))
                throw new MaskbenchException($"training loss became {outcome.Loss} at epoch {epoch + 1}, images {start}..{start + n - 1}; " +
                    $"the last good checkpoint (epoch {epoch}) is kept; try a smaller --lr");
            lossSum += outcome.Loss * n;
            correct += outcome.Correct;
            seen += n;
            task.Advance(n);
            task.Describe($"epoch {epoch + 1}/{Options.Epochs} loss {lossSum / seen:F3}");
        }
        return (lossSum / seen, (double)correct / seen);
    }

    /// <summary>Natural and PGD accuracy on the validation slice, in eval mode, with the same masking as training.</summary>
    (double Natural, double Robust) Validate(ImageClassifier model, BatchBuilder builder, int[] validation)
    {
        if (validation.Length == 0) return (double.NaN, double.NaN);
        model.eval();
        long natural = 0, robust = 0;
        for (int start = 0; start < validation.Length; start += Options.BatchSize)
        {
            int n = Math.Min(Options.BatchSize, validation.Length - start);
            using var zone = NoCollectionZone.Enter(builder.ManagedBytes(n));
            using var scope = NewDisposeScope();
            using var batch = builder.Build(new ArraySegment<int>(validation, start, n));
            var mask = Options.Masked ? batch.Masks : null;
            using (no_grad())
            {
                var input = mask is null ? batch.Images : batch.Images * mask;
                natural += model.forward(input).argmax(1).eq(batch.Labels).sum().item<long>();
            }
            if (Options.Epsilon > 0)
            {
                var adversarial = TrainingAdversary.Pgd(model, batch.Images, batch.Labels, mask, Options.Epsilon,
                    Options.ValidationSteps, 2.5 * Options.Epsilon / Options.ValidationSteps, EpochSeed(Options.Seed, -1) + start);
                using (no_grad())
                {
                    var input = mask is null ? adversarial : adversarial * mask;
                    robust += model.forward(input).argmax(1).eq(batch.Labels).sum().item<long>();
                }
            }
            else robust = natural;
        }
        return ((double)natural / validation.Length, (double)robust / validation.Length);
    }
}
