using Maskbench.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Maskbench.Batching;

/// <summary>
/// Turns a memory-mapped split into tensor batches, copying one batch of rows at a time (never the whole split).
/// Shuffling is a Fisher-Yates permutation from a seeded <see cref="Random"/>, so the order is reproducible.
/// </summary>
public static class DatasetBatches
{
    public static IEnumerable<TensorBatch> Sequential(DatasetSplit split, int batchSize, Device device, int? limit = null)
    {
        int n = Math.Min(split.Count, limit ?? split.Count);
        for (int start = 0; start < n; start += batchSize)
        {
            int count = Math.Min(batchSize, n - start);
            yield return Gather(split, Enumerable.Range(start, count).ToArray(), device);
        }
    }

    public static IEnumerable<TensorBatch> Shuffled(DatasetSplit split, int batchSize, Device device, int seed, IReadOnlyList<int>? subset = null)
    {
        int[] order = Permutation(subset ?? Enumerable.Range(0, split.Count).ToArray(), seed);
        for (int start = 0; start < order.Length; start += batchSize)
            yield return Gather(split, order.AsSpan(start, Math.Min(batchSize, order.Length - start)).ToArray(), device);
    }

    /// <summary>The rows in a seeded random order (Fisher-Yates).</summary>
    public static int[] Permutation(IReadOnlyList<int> rows, int seed)
    {
        int[] order = rows.ToArray();
        var rng = new Random(seed);
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    public static TensorBatch Gather(DatasetSplit split, IReadOnlyList<int> indices, Device device)
    {
        int n = indices.Count, s = split.ImageSize, px = split.PixelsPerImage;
        var images = new byte[(long)n * px * 3];
        var masks = new byte[(long)n * px];
        var labels = new long[n];
        for (int i = 0; i < n; i++)
        {
            int row = indices[i];
            if (row < 0 || row >= split.Count) throw new ArgumentOutOfRangeException(nameof(indices), $"row {row} is outside the split's {split.Count} rows");
            split.CopyImages(row, 1, images.AsSpan(i * px * 3, px * 3));
            split.CopyMasks(row, 1, masks.AsSpan(i * px, px));
            labels[i] = split.Labels[row];
        }
        return FromBytes(images, masks, labels, s, indices.ToArray(), device);
    }

    /// <summary>
    /// Converts NHWC bytes to the batch tensors on <paramref name="device"/>: the bytes go into libtorch as they are, and
    /// the layout change (NHWC to NCHW), the conversion to float and the scaling by 1/255 run there as vectorized kernels.
    /// The values are those of the scalar formula <c>byte * (1f / 255f)</c> in float32, bit for bit.
    /// </summary>
    public static TensorBatch FromBytes(byte[] images, byte[] masks, long[] labels, int size, int[] indices, Device device)
    {
        int n = labels.Length;
        using var scope = NewDisposeScope();
        var img = tensor(images, [n, size, size, 3]).permute(0, 3, 1, 2).contiguous().to_type(ScalarType.Float32).mul_(1f / 255f).to(device);
        var msk = tensor(masks, [n, 1, size, size]).to_type(ScalarType.Float32).to(device);
        var lab = tensor(labels, [n], dtype: ScalarType.Int64).to(device);
        return new TensorBatch(img, msk, lab, indices).MoveToOuterDisposeScope();
    }

    /// <summary>The batch for in-memory arrays (used by tests and by builders that hold data already).</summary>
    public static TensorBatch FromArrays(SplitArrays arrays, Device device) =>
        FromBytes(arrays.Images, arrays.Masks, arrays.Labels, arrays.ImageSize, Enumerable.Range(0, arrays.Count).ToArray(), device);
}
