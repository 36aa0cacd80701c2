using System.Runtime.InteropServices;
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

    /// <summary>
    /// The batch of <paramref name="indices"/>: each row goes from the memory map straight into the batch's float tensors
    /// (<see cref="PixelPlanes"/>: one pass that reorders HWC to CHW, converts and scales), then to <paramref name="device"/>.
    /// The values are those of the scalar formula <c>byte * (1f / 255f)</c> in float32, bit for bit.
    /// </summary>
    public static TensorBatch Gather(DatasetSplit split, IReadOnlyList<int> indices, Device device)
    {
        int n = indices.Count, s = split.ImageSize, px = split.PixelsPerImage;
        var labels = new long[n];
        using var scope = NewDisposeScope();
        var img = empty([n, 3, s, s], ScalarType.Float32);
        var msk = empty([n, 1, s, s], ScalarType.Float32);
        var imageFloats = MemoryMarshal.Cast<byte, float>(img.bytes);
        var maskFloats = MemoryMarshal.Cast<byte, float>(msk.bytes);
        for (int i = 0; i < n; i++)
        {
            int row = indices[i];
            if (row < 0 || row >= split.Count) throw new ArgumentOutOfRangeException(nameof(indices),
                $"row {row} is outside the split's {split.Count} rows");
            PixelPlanes.RgbToPlanes(split.ImageBytes(row), imageFloats.Slice(i * 3 * px, 3 * px), px);
            PixelPlanes.BytesToFloats(split.MaskBytes(row), maskFloats.Slice(i * px, px));
            labels[i] = split.Labels[row];
        }
        var lab = tensor(labels, [n], dtype: ScalarType.Int64);
        return new TensorBatch(img.to(device), msk.to(device), lab.to(device), indices.ToArray()).MoveToOuterDisposeScope();
    }

    /// <summary>Converts NHWC bytes to the batch tensors on <paramref name="device"/>, as <see cref="Gather"/> does.</summary>
    public static TensorBatch FromBytes(byte[] images, byte[] masks, long[] labels, int size, int[] indices, Device device)
    {
        int n = labels.Length, px = size * size;
        using var scope = NewDisposeScope();
        var img = empty([n, 3, size, size], ScalarType.Float32);
        var msk = empty([n, 1, size, size], ScalarType.Float32);
        var imageFloats = MemoryMarshal.Cast<byte, float>(img.bytes);
        for (int i = 0; i < n; i++)
            PixelPlanes.RgbToPlanes(images.AsSpan(i * 3 * px, 3 * px), imageFloats.Slice(i * 3 * px, 3 * px), px);
        PixelPlanes.BytesToFloats(masks.AsSpan(0, n * px), MemoryMarshal.Cast<byte, float>(msk.bytes));
        var lab = tensor(labels, [n], dtype: ScalarType.Int64);
        return new TensorBatch(img.to(device), msk.to(device), lab.to(device), indices).MoveToOuterDisposeScope();
    }
}
