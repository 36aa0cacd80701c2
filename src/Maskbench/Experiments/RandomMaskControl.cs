namespace Maskbench.Experiments;

/// <summary>
/// The random-mask control: for each image, a mask with exactly as many pixels as its true foreground mask, at
/// uniformly random places. A model trained on these sees as few input pixels as a masked model but keeps no
/// knowledge of where the object is, which separates "fewer input dimensions" (Simon-Gabriel et al. 2018, cited by
/// the paper's conclusion) from "background removed". Deterministic: image i's mask depends only on (seed, i).
/// </summary>
public static class RandomMaskControl
{
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
        (int)(Data.SplitMix64.Next((ulong)(uint)seed << 32 | (uint)index) & 0x7FFFFFFF);
}
