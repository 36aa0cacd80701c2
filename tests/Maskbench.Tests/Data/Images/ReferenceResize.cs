using Maskbench.Data;

namespace Maskbench.Tests.Data.Images;

/// <summary>
/// The test oracle for <c>ImageResize</c>: brute force over every source pixel for every output pixel, in exact
/// integer arithmetic (weights are rationals with a common denominator per axis), rounding the exact mean half up.
/// Slow and plain on purpose; nothing is shared with the library's separable implementation.
/// </summary>
internal static class ReferenceResize
{
    enum Axis { Image, MaskThreshold, MaskNearest }

    static bool IsNearest(int s, int t, Axis kind) => kind == Axis.MaskNearest || (kind == Axis.MaskThreshold && t >= s);

    /// <summary>Weight numerator of source index k for output index i along an axis of s → t pixels, over <see cref="Denominator"/>.</summary>
    static long Weight(int s, int t, int i, int k, Axis kind)
    {
        if (IsNearest(s, t, kind)) return k == (int)Math.Floor((i + 0.5) * s / t) ? 1 : 0;
        if (t == s) return i == k ? 1 : 0;
        if (t < s)
        {
            // Footprint of output i is [i·s/t, (i+1)·s/t); in units of 1/t it is [i·s, (i+1)·s), pixel k is [k·t, (k+1)·t).
            long overlap = Math.Min((long)(i + 1) * s, (long)(k + 1) * t) - Math.Max((long)i * s, (long)k * t);
            return Math.Max(overlap, 0);   // over s: the footprint's length in these units
        }
        // Growing: sample at (i + 1/2)·s/t − 1/2 = p/(2t), clamped to [0, s−1]; linear between floor and floor + 1.
        long p = (2L * i + 1) * s - t, den = 2L * t;
        p = Math.Clamp(p, 0, (s - 1) * den);
        long k0 = p / den, frac = p - k0 * den;
        if (k == k0) return den - frac;
        if (k == k0 + 1) return frac;
        return 0;
    }

    static long Denominator(int s, int t, Axis kind) =>
        IsNearest(s, t, kind) || t == s ? 1 : t < s ? s : 2L * t;

    public static RgbImage Resize(RgbImage src, int width, int height)
    {
        var dst = new RgbImage(width, height);
        long den = Denominator(src.Width, width, Axis.Image) * Denominator(src.Height, height, Axis.Image);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                for (int c = 0; c < 3; c++)
                {
                    long sum = 0;
                    for (int sy = 0; sy < src.Height; sy++)
                        for (int sx = 0; sx < src.Width; sx++)
                            sum += Weight(src.Width, width, x, sx, Axis.Image) * Weight(src.Height, height, y, sy, Axis.Image)
                                   * src.Pixels[(sy * src.Width + sx) * 3 + c];
                    dst.Pixels[(y * width + x) * 3 + c] = (byte)((2 * sum + den) / (2 * den));
                }
        return dst;
    }

    /// <summary>Threshold: foreground when the covered area is at least half (axes that grow use nearest); or nearest everywhere.</summary>
    public static BinaryMask Resize(BinaryMask src, int width, int height, bool nearest)
    {
        var kind = nearest ? Axis.MaskNearest : Axis.MaskThreshold;
        var dst = new BinaryMask(width, height);
        long den = Denominator(src.Width, width, kind) * Denominator(src.Height, height, kind);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                long covered = 0;
                for (int sy = 0; sy < src.Height; sy++)
                    for (int sx = 0; sx < src.Width; sx++)
                        if (src[sx, sy] != 0)
                            covered += Weight(src.Width, width, x, sx, kind) * Weight(src.Height, height, y, sy, kind);
                dst[x, y] = 2 * covered >= den ? (byte)1 : (byte)0;
            }
        return dst;
    }

    /// <summary>Crop by asking, for every output pixel, whether its source position lies inside the image.</summary>
    public static RgbImage Crop(RgbImage src, int x0, int y0, int width, int height)
    {
        var dst = new RgbImage(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int sx = x0 + x, sy = y0 + y;
                if (sx >= 0 && sy >= 0 && sx < src.Width && sy < src.Height) dst[x, y] = src[sx, sy];
            }
        return dst;
    }
}
