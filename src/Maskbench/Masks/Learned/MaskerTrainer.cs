using System.Diagnostics;
using Maskbench.Attacks;
using Maskbench.Data;
using Maskbench.Progress;
using Maskbench.Runtime;
using Maskbench.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Maskbench.Masks.Learned;

/// <summary>
/// Trains a <see cref="MaskUNet"/> on a split's images and foreground masks with Adam and <see cref="SegmentationLoss"/>,
/// naturally or on PGD examples of the segmentation loss (<see cref="SegmentationPgd"/>, whole-image L∞ ball, since the
/// masker sees every pixel), then measures its IoU on a test split. Determinism: initialization, shuffle, augmentation
/// and attack starts derive from (seed, epoch), so the same seed gives the same weights on the same device and threads.
/// </summary>
public sealed class MaskerTrainer(MaskerTrainingOptions options, IProgressSink progress)
{
    public MaskerTrainingOptions Options { get; } = options;

    public (MaskUNet Masker, List<MaskerEpoch> Epochs) Train(SplitArrays data, MaskerSpec spec, Device device,
        CancellationToken cancellation = default)
    {
        Options.Validate();
        if (spec.InputSize != data.ImageSize) throw new MaskbenchException(
            $"the dataset's images are {data.ImageSize}x{data.ImageSize}, the masker expects {spec.InputSize}");
        if (data.Count == 0) throw new MaskbenchException("no training images");
        manual_seed(Options.Seed);
        var masker = new MaskUNet(spec);
        masker.to(device);
        var indices = Enumerable.Range(0, data.Count).ToArray();
        new Random(Options.Seed).Shuffle(indices);
        if (Options.LimitTrain is int limit && limit < indices.Length) indices = indices[..limit];
        var builder = new BatchBuilder(data, spec.Channels, device);
        var optimizer = optim.Adam(masker.parameters(), lr: Options.LearningRate);
        var history = new List<MaskerEpoch>();
        var threat = ThreatModel.Linf(Options.Epsilon);
        for (int epoch = 0; epoch < Options.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            int seed = Trainer.EpochSeed(Options.Seed, epoch);
            manual_seed(seed);
            var random = new Random(seed);
            var order = (int[])indices.Clone();
            random.Shuffle(order);
            var augmentations = builder.Draw(random, order.Length, Options.Augment, Options.Augment && Options.HorizontalFlip);
            foreach (var group in optimizer.ParamGroups) group.LearningRate = Options.LearningRateAt(epoch);
            double lossSum = 0, iouSum = 0;
            using var task = progress.Start($"masker epoch {epoch + 1}/{Options.Epochs} ({Options.Mode.ToString().ToLowerInvariant()})",
                order.Length, "images");
            for (int start = 0; start < order.Length; start += Options.BatchSize)
            {
                cancellation.ThrowIfCancellationRequested();
                int n = Math.Min(Options.BatchSize, order.Length - start);
                using var zone = NoCollectionZone.Enter(builder.ManagedBytes(n));
                using var scope = NewDisposeScope();
                using var batch = builder.Build(new ArraySegment<int>(order, start, n), augmentations[start..(start + n)]);
                var inputs = batch.Images;
                if (Options.Mode == MaskerTrainingMode.Pgd)
                {
                    masker.eval();
                    inputs = SegmentationPgd.Run(masker, batch.Images, batch.Masks, threat, Options.Steps, seed ^ (start * 7919));
                }
                masker.train();
                var logits = masker.forward(inputs);
                var loss = SegmentationLoss.Mean(logits, batch.Masks);
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                lossSum += loss.item<float>() * n;
                using (no_grad()) iouSum += MaskIoU.PerImage(logits.detach().sigmoid(), batch.Masks).Sum();
                task.Advance(n);
                task.Describe($"masker epoch {epoch + 1}/{Options.Epochs} loss {lossSum / (start + n):F3}");
            }
            var metrics = new MaskerEpoch(epoch + 1, lossSum / order.Length, iouSum / order.Length, Math.Round(clock.Elapsed.TotalSeconds, 3));
            history.Add(metrics);
            progress.Info($"masker epoch {epoch + 1}/{Options.Epochs}: loss {metrics.Loss:F4}, train IoU {metrics.TrainIoU:F3}, {metrics.Seconds:F1} "
                + "s");
        }
        masker.eval();
        return (masker, history);
    }
}

/// <summary>Predicted masks and their IoU over a split.</summary>
public static class MaskerEvaluation
{
    /// <summary>
    /// Per-image IoU of the thresholded prediction against the split's masks; with <paramref name="attack"/> the
    /// images are first replaced by <see cref="SegmentationPgd"/> examples within that threat (whole image).
    /// </summary>
    public static double[] IoU(MaskUNet masker, SplitArrays data, Device device, int batchSize = 100,
        (ThreatModel Threat, int Steps, int Seed)? attack = null, IProgressSink? progress = null)
    {
        masker.eval();
        var builder = new BatchBuilder(data, masker.Spec.Channels, device);
        var result = new List<double>(data.Count);
        using var task = (progress ?? NullProgress.Instance).Start(attack is null ? "masker IoU" : "masker IoU under attack", data.Count, "images");
        for (int start = 0; start < data.Count; start += batchSize)
        {
            int n = Math.Min(batchSize, data.Count - start);
            using var zone = NoCollectionZone.Enter(builder.ManagedBytes(n));
            using var scope = NewDisposeScope();
            using var batch = builder.Build(Enumerable.Range(start, n).ToArray());
            var inputs = attack is { } a ? SegmentationPgd.Run(masker, batch.Images, batch.Masks, a.Threat, a.Steps, a.Seed + start) : batch.Images;
            using (no_grad()) result.AddRange(MaskIoU.PerImage(masker.SoftMask(inputs), batch.Masks));
            task.Advance(n);
        }
        return result.ToArray();
    }

    /// <summary>The split with its masks replaced by the masker's thresholded predictions on the clean images.</summary>
    public static SplitArrays WithPredictedMasks(MaskUNet masker, SplitArrays data, Device device, int batchSize = 100)
    {
        masker.eval();
        var builder = new BatchBuilder(data, masker.Spec.Channels, device);
        var copy = new SplitArrays(data.Count, data.ImageSize);
        data.Images.CopyTo(copy.Images, 0);
        data.Labels.CopyTo(copy.Labels, 0);
        int plane = data.PixelsPerImage;
        for (int start = 0; start < data.Count; start += batchSize)
        {
            int n = Math.Min(batchSize, data.Count - start);
            using var zone = NoCollectionZone.Enter(builder.ManagedBytes(n));
            using var scope = NewDisposeScope();
            using var batch = builder.Build(Enumerable.Range(start, n).ToArray());
            Tensor hard;
            using (no_grad()) hard = masker.SoftMask(batch.Images).ge(MaskIoU.Threshold).to_type(ScalarType.Byte).cpu();
            hard.data<byte>().ToArray().CopyTo(copy.Masks, start * plane);
        }
        return copy;
    }
}
