using Maskbench.Masks.Sources;
using System.Text.Json;
using Maskbench.Batching;
using Maskbench.Data;
using Maskbench.Experiments;
using Maskbench.Masks;
using Maskbench.Runtime;
using static TorchSharp.torch;

namespace Maskbench.Tests.Masks;

public class MaskSourceTests
{
    static SplitArrays Arrays(int count, int size)
    {
        var arrays = new SplitArrays(count, size);
        var random = new Random(3);
        random.NextBytes(arrays.Images);
        for (int i = 0; i < arrays.Masks.Length; i++) arrays.Masks[i] = (byte)(random.Next(3) == 0 ? 1 : 0);
        for (int i = 0; i < count; i++) arrays.Labels[i] = i % 4;
        return arrays;
    }

    [Fact]
    public void Training_masks_come_in_new_arrays_and_leave_the_given_ones_alone()
    {
        var arrays = Arrays(6, 8);
        var before = arrays.Masks.ToArray();
        var twin = new MaskSource.RandomTwin(4).ForTraining(arrays, CPU);
        Assert.NotSame(arrays, twin);
        Assert.Equal(before, arrays.Masks);
        Assert.Same(arrays.Images, twin.Images);
        Assert.Equal(MaskSource.RandomTwin.Twin(before, 6, 8, 4), twin.Masks);
        Assert.Same(arrays, new MaskSource.GroundTruth().ForTraining(arrays, CPU));
        Assert.Same(arrays, new MaskSource.NoMask().ForTraining(arrays, CPU));
    }

    [Fact]
    public void A_held_out_row_gets_its_own_random_mask_whatever_the_batch()
    {
        TorchRuntime.EnsureLoaded();
        var arrays = Arrays(5, 8);
        int[] rows = [7, 2, 40, 3, 11];
        using var batch = DatasetBatches.FromBytes(arrays.Images, arrays.Masks, arrays.Labels, 8, rows, CPU);
        var source = new MaskSource.RandomTwin(9);
        using var masks = source.ForEvaluation(batch)!;
        Assert.Equal([5L, 1, 8, 8], masks.shape);
        var values = masks.to_type(ScalarType.Byte).data<byte>().ToArray();
        for (int i = 0; i < rows.Length; i++)
        {
            // Oracle: the twin of that image alone, indexed by the held-out offset plus its row.
            var expected = MaskSource.RandomTwin.Twin(arrays.Masks.AsSpan(i * 64, 64), 1, 8, 9, MaskSource.RandomTwin.HeldOutOffset + rows[i]);
            Assert.Equal(expected, values[(i * 64)..((i + 1) * 64)]);
        }
        Assert.Null(new MaskSource.NoMask().ForEvaluation(batch));
        Assert.Same(batch.Masks, new MaskSource.GroundTruth().ForEvaluation(batch));
    }

    [Fact]
    public void The_mask_source_is_part_of_the_training_cell_key_and_survives_the_plan_file()
    {
        GridModel Model(MaskSource mask) => new("natural-random-mask", "natural", mask, "vgg19", 0.125, 3, 64, 0.01, 1000, 0, 0, 0, 7);
        Assert.NotEqual(CellSpec.ForTraining(Model(new MaskSource.RandomTwin(1))).Parameters(),
            CellSpec.ForTraining(Model(new MaskSource.RandomTwin(2))).Parameters(),
            new DictionaryComparer());
        Assert.Equal("1", Model(new MaskSource.RandomTwin(1)).ToParameters()["mask.seed"]);
        foreach (var mask in new MaskSource[] { new MaskSource.NoMask(), new MaskSource.GroundTruth(), new MaskSource.RandomTwin(3) })
        {
            var json = JsonSerializer.Serialize(Model(mask));
            Assert.Equal(mask, JsonSerializer.Deserialize<GridModel>(json)!.Mask);
        }
    }

    [Fact]
    public void Predicted_masks_are_the_maskers_thresholded_output_for_training_and_evaluation_alike()
    {
        TorchRuntime.EnsureLoaded();
        manual_seed(8);
        using var dir = new Maskbench.Tests.Support.TempFolder();
        var spec = new Maskbench.Masks.Learned.MaskerSpec { InputSize = 8, BaseWidth = 3, Depth = 2 };
        using var masker = new Maskbench.Masks.Learned.MaskUNet(spec);
        masker.eval();
        var arrays = Arrays(70, 8);   // more than one of the source's batches of 64
        using var batch = DatasetBatches.FromBytes(arrays.Images, arrays.Masks, arrays.Labels, arrays.ImageSize, Enumerable.Range(0, arrays.Count)
            .ToArray(), CPU);
        // An untrained masker's logits sit on one side of 0; shifting the head's bias to their median splits the pixels.
        using (no_grad())
        {
            var bias = masker.named_parameters().Single(p => p.name == "head.bias").parameter;
            using var logits = masker.forward(batch.Images);
            bias.sub_(logits.median());
        }
        new Maskbench.Masks.Learned.MaskerRun(dir["masker"]).Write(masker, new Maskbench.Masks.Learned.MaskerInfo
        {
            Spec = spec, Options = new Maskbench.Masks.Learned.MaskerTrainingOptions(),
            Dataset = new Maskbench.Training.DatasetIdentity("d", "00", "d"), Parameters = masker.ParameterCount,
        });
        Tensor expected;
        using (no_grad()) expected = masker.SoftMask(batch.Images).ge(0.5).to_type(ScalarType.Float32);
        Assert.True(expected.sum().item<float>() > 0 && expected.sum().item<float>() < expected.numel(), "a constant mask would test nothing");

        var source = new MaskSource.Predicted(dir["masker"]);
        using var evaluated = source.ForEvaluation(batch)!;
        Assert.True(evaluated.eq(expected).all().item<bool>());
        var training = source.ForTraining(arrays, CPU);
        Assert.Equal(expected.to_type(ScalarType.Byte).data<byte>().ToArray(), training.Masks);
        Assert.Contains(source.Parameters(), kv => kv.Key == "mask.maskerWeightsSha256" && kv.Value.Length == 64);
    }

    sealed class DictionaryComparer : IEqualityComparer<SortedDictionary<string, string>>
    {
        public bool Equals(SortedDictionary<string, string>? a, SortedDictionary<string, string>? b) => a!.SequenceEqual(b!);
        public int GetHashCode(SortedDictionary<string, string> d) => d.Count;
    }
}
