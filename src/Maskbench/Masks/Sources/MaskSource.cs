using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Serialization;
using Maskbench.Batching;
using Maskbench.Data;
using Maskbench.Masks.Learned;
using Maskbench.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Maskbench.Masks.Sources;

/// <summary>
/// Where the masks a model multiplies its input by come from, for training and evaluation alike: none, the dataset's
/// ground truth, the random-mask control, or a learned masker. It is also what a foreground threat region means: the
/// adversary may change the pixels this source's mask keeps. Its <see cref="Parameters"/> go into cell keys.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "source")]
[JsonDerivedType(typeof(NoMask), "none")]
[JsonDerivedType(typeof(GroundTruth), "ground-truth")]
[JsonDerivedType(typeof(RandomTwin), "random-twin")]
[JsonDerivedType(typeof(Predicted), "predicted")]
public abstract record MaskSource
{
    /// <summary>Which kind of source this is (derived from its type, so never written).</summary>
    [JsonIgnore] public abstract MaskKind Kind { get; }

    /// <summary>The dataset's own: its stored foreground masks for a masked model, none otherwise.</summary>
    public static MaskSource Dataset(bool masked) => masked ? new GroundTruth() : new NoMask();

    /// <summary>Whether the model's input is multiplied by a mask.</summary>
    [JsonIgnore] public bool MasksInput => Kind != MaskKind.None;

    /// <summary>What identifies the masks (hashed into cell keys; invariant formatting).</summary>
    public virtual IEnumerable<KeyValuePair<string, string>> Parameters() => [];

    /// <summary>
    /// The training arrays with this source's masks: a new <see cref="SplitArrays"/> where the masks differ, so that
    /// the arrays given (and the dataset they came from) are never changed.
    /// </summary>
    public abstract SplitArrays ForTraining(SplitArrays arrays, Device device);

    /// <summary>The masks of a held-out batch (N x 1 x H x W, 0/1 float32 on the batch's device); null without a mask.</summary>
    public abstract Tensor? ForEvaluation(TensorBatch batch);

    /// <summary>What a run folder records of this source (a masker with the SHA-256 of its weights as they are now).</summary>
    public abstract InputMaskRecord Record();

    /// <summary>The source a run folder's <paramref name="record"/> names; <paramref name="origin"/> (its run.json) is for errors.</summary>
    public static MaskSource FromRecord(InputMaskRecord record, string origin) => record.Kind switch
    {
        MaskKind.None => new NoMask(),
        MaskKind.GroundTruth => new GroundTruth(),
        MaskKind.RandomTwin => new RandomTwin(record.Seed ?? throw new DataFormatException(origin, "random-twin input masks without a seed")),
        MaskKind.Predicted => new Predicted(record.Masker ?? throw new DataFormatException(origin, "predicted input masks without a masker")),
        _ => throw new DataFormatException(origin, $"unknown input masks '{record.Kind}'"),
    };

    /// <summary>The whole image.</summary>
    public sealed record NoMask : MaskSource
    {
        [JsonIgnore] public override MaskKind Kind => MaskKind.None;
        public override SplitArrays ForTraining(SplitArrays arrays, Device device) => arrays;
        public override Tensor? ForEvaluation(TensorBatch batch) => null;
        public override InputMaskRecord Record() => new(MaskKind.None);
    }

    /// <summary>The dataset's stored foreground masks.</summary>
    public sealed record GroundTruth : MaskSource
    {
        [JsonIgnore] public override MaskKind Kind => MaskKind.GroundTruth;
        public override SplitArrays ForTraining(SplitArrays arrays, Device device) => arrays;
        public override Tensor? ForEvaluation(TensorBatch batch) => batch.Masks;
        public override InputMaskRecord Record() => new(MaskKind.GroundTruth);
    }

    /// <summary>
    /// The random-mask control: for each image, a mask with exactly as many pixels as its true foreground mask, at
    /// uniformly random places. A model trained on these sees as few input pixels as a masked model but keeps no
    /// knowledge of where the object is, which separates "fewer input dimensions" (Simon-Gabriel et al. 2018, cited by
    /// the paper's conclusion) from "background removed". Deterministic: image i's mask depends only on (seed, i),
    /// where i is the row for training images and <see cref="HeldOutOffset"/> + row for held-out ones.
    /// </summary>
    public sealed record RandomTwin(int Seed) : MaskSource
    {
        /// <summary>Added to a held-out row's index, so that it never shares a random mask with training row i.</summary>
        public const int HeldOutOffset = 1_000_000;

        [JsonIgnore] public override MaskKind Kind => MaskKind.RandomTwin;

        public override IEnumerable<KeyValuePair<string, string>> Parameters() => [new("mask.seed", Seed.ToString(CultureInfo.InvariantCulture))];

        public override SplitArrays ForTraining(SplitArrays arrays, Device device) =>
            arrays.WithMasks(Twin(arrays.Masks, arrays.Count, arrays.ImageSize, Seed));

        public override InputMaskRecord Record() => new(MaskKind.RandomTwin, Seed: Seed);

        public override Tensor? ForEvaluation(TensorBatch batch)
        {
            int n = batch.Count, size = (int)batch.Masks.shape[2], px = size * size;
            var truth = batch.Masks.to_type(ScalarType.Byte).cpu().data<byte>().ToArray();
            var values = new float[n * px];
            for (int i = 0; i < n; i++)
            {
                // The row's own index, so a test image gets the same random mask in every batch and every cell.
                var twin = Twin(truth.AsSpan(i * px, px), 1, size, Seed, firstIndex: HeldOutOffset + batch.Indices[i]);
                for (int p = 0; p < px; p++) values[i * px + p] = twin[p];
            }
            return tensor(values, [n, 1, size, size]).to(batch.Masks.device);
        }

        /// <summary>The random twin of <paramref name="masks"/> (count × size × size bytes, 0/1), image by image.</summary>
        public static byte[] Twin(ReadOnlySpan<byte> masks, int count, int size, int seed, int firstIndex = 0)
        {
            int pixels = size * size;
            if (masks.Length != count * pixels)
                throw new ArgumentException($"expected {count}x{size}x{size} mask bytes, got {masks.Length}", nameof(masks));
            var twin = new byte[masks.Length];
            var order = new int[pixels];
            for (int i = 0; i < count; i++)
            {
                int foreground = 0;
                foreach (byte b in masks.Slice(i * pixels, pixels)) if (b != 0) foreground++;
                // A partial Fisher–Yates shuffle picks `foreground` distinct pixels; the per-image seed makes the result
                // independent of batching and of which other images are processed.
                var random = new Random(ImageSeed(seed, firstIndex + i));
                for (int p = 0; p < pixels; p++) order[p] = p;
                for (int k = 0; k < foreground; k++)
                {
                    int j = k + random.Next(pixels - k);
                    (order[k], order[j]) = (order[j], order[k]);
                    twin[i * pixels + order[k]] = 1;
                }
            }
            return twin;
        }

        /// <summary>A per-image seed from a SplitMix64 step (HashCode is randomized per process, so it cannot be used).</summary>
        static int ImageSeed(int seed, int index) =>
            (int)(SplitMix64.Next((ulong)(uint)seed << 32 | (uint)index) & 0x7FFFFFFF);
    }

    /// <summary>
    /// Masks a trained U-Net masker (<see cref="MaskerRun"/>, `maskbench train-masker`) predicts from each clean image,
    /// thresholded at <see cref="MaskIoU.Threshold"/>. A model evaluated with this source is the deployed pipeline,
    /// which recomputes the mask from the (attacked) image (Evaluation.AttackedModel); the attacks that differentiate
    /// through the masker are the predicted-mask pipeline's (Evaluation.Pipeline).
    /// </summary>
    public sealed record Predicted(string MaskerFolder) : MaskSource
    {
        static readonly ConcurrentDictionary<(string Folder, string Device), MaskUNet> Loaded = new();

        [JsonIgnore] public override MaskKind Kind => MaskKind.Predicted;

        public override IEnumerable<KeyValuePair<string, string>> Parameters() =>
            [new("mask.masker", Path.GetFullPath(MaskerFolder)), new("mask.maskerWeightsSha256", new MaskerRun(MaskerFolder).WeightsSha256())];

        public override SplitArrays ForTraining(SplitArrays arrays, Device device) =>
            MaskerEvaluation.WithPredictedMasks(Masker(device), arrays, device);

        public override Tensor? ForEvaluation(TensorBatch batch) => Predict(batch.Images);

        public override InputMaskRecord Record() =>
            new(MaskKind.Predicted, Masker: Path.GetFullPath(MaskerFolder), MaskerWeightsSha256: new MaskerRun(MaskerFolder).WeightsSha256());

        /// <summary>The masker on <paramref name="device"/>, loaded once per folder and device (evaluation mode).</summary>
        public MaskUNet Masker(Device device) =>
            Loaded.GetOrAdd((Path.GetFullPath(MaskerFolder), device.ToString()), key => new MaskerRun(key.Folder).Load(device));

        Tensor Predict(Tensor images)
        {
            var masker = Masker(images.device);
            using (no_grad())
                return masker.SoftMask(images).ge(MaskIoU.Threshold).to_type(ScalarType.Float32);
        }
    }
}
