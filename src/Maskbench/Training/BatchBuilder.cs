using Maskbench.Batching;
using Maskbench.Data;
using static TorchSharp.torch;

namespace Maskbench.Training;

/// <summary>How one image is augmented: a crop offset into the zero-padded image and a horizontal flip.</summary>
public readonly record struct Augmentation(int OffsetX, int OffsetY, bool Flip)
{
    public static Augmentation None(int pad) => new(pad, pad, false);
}

/// <summary>
/// Builds float batches from in-memory <see cref="SplitArrays"/>. Random-crop augmentation pads by S/8 with zeros and crops
/// back to S x S (4 pixels at 32x32, as in the CIFAR recipe of He et al. 2016); the mask gets the identical crop and
/// flip, so the foreground stays registered with the image. Done on bytes in managed code, before any tensor exists,
/// so that augmentation costs no libtorch calls and is exactly reproducible from its (offset, flip) draws.
/// One channel is the mean of R, G and B.
/// </summary>
public sealed class BatchBuilder(SplitArrays set, int channels, Device device)
{
    public int Pad { get; } = Math.Max(1, set.ImageSize / 8);

    /// <summary>Draws one augmentation per image from <paramref name="random"/> (three draws each, always).</summary>
    public Augmentation[] Draw(Random random, int count, bool crop, bool flip)
    {
        var result = new Augmentation[count];
        for (int i = 0; i < count; i++)
        {
            int dx = random.Next(2 * Pad + 1), dy = random.Next(2 * Pad + 1);
            bool f = random.Next(2) == 1;
            result[i] = new Augmentation(crop ? dx : Pad, crop ? dy : Pad, flip && f);
        }
        return result;
    }

    /// <summary>Managed bytes <see cref="Build"/> allocates for <paramref name="count"/> images (pixels, mask, labels).</summary>
    public long ManagedBytes(int count) => (long)count * (set.ImageSize * set.ImageSize * (channels + 1) * sizeof(float) + sizeof(long));

    public TensorBatch Build(IReadOnlyList<int> indices, Augmentation[]? augmentations = null)
    {
        int n = indices.Count, s = set.ImageSize, plane = s * s;
        var pixels = new float[n * channels * plane];
        var mask = new float[n * plane];
        var labels = new long[n];
        for (int b = 0; b < n; b++)
        {
            int index = indices[b];
            var a = augmentations?[b] ?? Augmentation.None(Pad);
            labels[b] = set.Labels[index];
            int imageBase = index * plane * 3, maskBase = index * plane;
            int outImage = b * channels * plane, outMask = b * plane;
            for (int y = 0; y < s; y++)
            {
                int sy = y + a.OffsetY - Pad;
                if (sy < 0 || sy >= s) continue;   // padding rows stay 0
                for (int x = 0; x < s; x++)
                {
                    int cx = a.Flip ? s - 1 - x : x;
                    int sx = cx + a.OffsetX - Pad;
                    if (sx < 0 || sx >= s) continue;
                    int src = imageBase + (sy * s + sx) * 3;
                    int dst = y * s + x;
                    if (channels == 3)
                    {
                        pixels[outImage + dst] = set.Images[src] / 255f;
                        pixels[outImage + plane + dst] = set.Images[src + 1] / 255f;
                        pixels[outImage + 2 * plane + dst] = set.Images[src + 2] / 255f;
                    }
                    else
                    {
                        pixels[outImage + dst] = (set.Images[src] + set.Images[src + 1] + set.Images[src + 2]) / 765f;
                    }
                    mask[outMask + dst] = set.Masks[maskBase + sy * s + sx];
                }
            }
        }
        return new TensorBatch(OnDevice(tensor(pixels, [n, channels, s, s])), OnDevice(tensor(mask, [n, 1, s, s])), OnDevice(tensor(labels)),
            indices.ToArray());
    }

    Tensor OnDevice(Tensor t)
    {
        if (t.device.type == device.type && t.device.index == device.index) return t;
        using (t) return t.to(device);
    }
}
