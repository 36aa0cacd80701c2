using Maskbench.Batching;
using Maskbench.Data;
using Maskbench.Runtime;
using Maskbench.Tests.Support;
using TorchSharp;

namespace Maskbench.Tests.Batching;

public class DatasetBatchesTests
{
    [Fact]
    public void BatchesAreChannelsFirstScaledAndFollowTheRows()
    {
        using var temp = new TempFolder();
        var arrays = SyntheticSplits.Random(10, 4, 3, seed: 5);
        DatasetStore.Write(temp["ds"], SyntheticSplits.Manifest(4, 3), new Dictionary<string, SplitArrays> { ["train"] = arrays });
        using var ds = DatasetStore.Open(temp["ds"]);
        var split = ds.Split("train");
        var seen = new List<int>();
        foreach (var batch in DatasetBatches.Shuffled(split, 4, torch.CPU, seed: 3))
        {
            using var _ = batch;
            Assert.Equal([batch.Count, 3, 4, 4], batch.Images.shape);
            Assert.Equal([batch.Count, 1, 4, 4], batch.Masks.shape);
            for (int i = 0; i < batch.Count; i++)
            {
                int row = batch.Indices[i];
                // pixel (x=1, y=2), channel 2 of that row, in NHWC bytes
                byte expected = arrays.Images[row * 48 + (2 * 4 + 1) * 3 + 2];
                Assert.Equal(expected / 255f, batch.Images[i, 2, 2, 1].item<float>(), 6);
                Assert.Equal(arrays.Masks[row * 16 + 2 * 4 + 1], (byte)batch.Masks[i, 0, 2, 1].item<float>());
                Assert.Equal(arrays.Labels[row], batch.Labels[i].item<long>());
            }
            seen.AddRange(batch.Indices);
        }
        Assert.Equal(Enumerable.Range(0, 10), seen.Order());
        Assert.NotEqual(Enumerable.Range(0, 10), seen);
        Assert.Equal(DatasetBatches.Permutation(Enumerable.Range(0, 10).ToArray(), 3), seen);
    }

    [Fact]
    public void EveryByteValueBecomesExactlyTheScalarFormulaInChannelsFirstOrder()
    {
        const int n = 3, size = 8, px = size * size;
        var rng = new Random(4);
        var images = new byte[n * px * 3];
        for (int i = 0; i < images.Length; i++) images[i] = (byte)(i < 256 ? i : rng.Next(256));   // every value appears
        var masks = new byte[n * px];
        for (int i = 0; i < masks.Length; i++) masks[i] = (byte)rng.Next(2);
        using var batch = DatasetBatches.FromBytes(images, masks, [0, 1, 2], size, [0, 1, 2], torch.CPU);
        var actual = batch.Images.data<float>().ToArray();
        var actualMasks = batch.Masks.data<float>().ToArray();
        // The oracle: a plain loop over NHWC bytes with the same float32 formula.
        for (int i = 0; i < n; i++)
            for (int c = 0; c < 3; c++)
                for (int p = 0; p < px; p++)
                {
                    float expected = images[(i * px + p) * 3 + c] * (1f / 255f);
                    Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(actual[(i * 3 + c) * px + p]));
                }
        for (int i = 0; i < masks.Length; i++) Assert.Equal(masks[i], actualMasks[i]);
    }

    /// <summary>
    /// Gather reads rows straight from the memory map: at sizes whose pixel counts leave a tail after the 16-pixel
    /// vector blocks (5×5 = 25) and that do not (8×8), every value is the scalar formula bit for bit, masks are their
    /// bytes, in the order of the rows asked for (repeats included).
    /// </summary>
    [Theory]
    [InlineData(5)]
    [InlineData(8)]
    [InlineData(3)]
    public void GatherFromTheStoreIsTheScalarFormulaBitForBit(int size)
    {
        using var temp = new TempFolder();
        int px = size * size, n = 12;
        var arrays = new SplitArrays(n, size);
        var rng = new Random(size);
        for (int i = 0; i < arrays.Images.Length; i++) arrays.Images[i] = (byte)(i < 256 ? 255 - i : rng.Next(256));
        for (int i = 0; i < arrays.Masks.Length; i++) arrays.Masks[i] = (byte)rng.Next(2);
        for (int i = 0; i < n; i++) arrays.Labels[i] = rng.Next(3);
        DatasetStore.Write(temp["ds"], SyntheticSplits.Manifest(size, 3), new Dictionary<string, SplitArrays> { ["train"] = arrays });
        using var ds = DatasetStore.Open(temp["ds"]);
        int[] rows = [7, 0, 11, 3, 3, 5];
        using var batch = DatasetBatches.Gather(ds.Split("train"), rows, torch.CPU);
        var actual = batch.Images.data<float>().ToArray();
        var actualMasks = batch.Masks.data<float>().ToArray();
        for (int i = 0; i < rows.Length; i++)
        {
            for (int c = 0; c < 3; c++)
                for (int p = 0; p < px; p++)
                {
                    float expected = arrays.Images[(rows[i] * px + p) * 3 + c] * (1f / 255f);
                    Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(actual[(i * 3 + c) * px + p]));
                }
            for (int p = 0; p < px; p++) Assert.Equal(arrays.Masks[rows[i] * px + p], actualMasks[i * px + p]);
            Assert.Equal(arrays.Labels[rows[i]], batch.Labels[i].item<long>());
        }
        Assert.Equal(rows, batch.Indices);
    }
}
