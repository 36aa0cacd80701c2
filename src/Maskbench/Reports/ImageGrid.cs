using Maskbench.Data;
using SkiaSharp;

namespace Maskbench.Reports;

/// <summary>
/// A PNG with one row per example and four columns: the clean image, its mask, the adversarial image, and the
/// perturbation magnified (mid-grey is zero; the largest |δ| of the row maps to black or white), each tile scaled up
/// by pixel replication so that small images stay readable.
/// </summary>
public static class ImageGrid
{
    public const int Columns = 4;
    const int Gap = 2;

    public static byte[] Png(IReadOnlyList<RgbImage> clean, IReadOnlyList<BinaryMask> masks, IReadOnlyList<RgbImage> adversarial)
    {
        int rows = clean.Count;
        if (rows == 0 || masks.Count != rows || adversarial.Count != rows) throw new ArgumentException("need equally many clean, mask and adversarial images");
        int w = clean[0].Width, h = clean[0].Height;
        int scale = Math.Max(1, 96 / Math.Max(w, h));
        int tileW = w * scale, tileH = h * scale;
        int width = Columns * tileW + (Columns + 1) * Gap, height = rows * tileH + (rows + 1) * Gap;
        var rgba = new byte[width * height * 4];
        Array.Fill(rgba, (byte)255);
        for (int r = 0; r < rows; r++)
        {
            var c = clean[r];
            var a = adversarial[r];
            var m = masks[r];
            int maxDelta = 1;
            for (int i = 0; i < c.Pixels.Length; i++) maxDelta = Math.Max(maxDelta, Math.Abs(a.Pixels[i] - c.Pixels[i]));
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    int p = (y * w + x) * 3;
                    byte mv = (byte)(m.Values[y * w + x] != 0 ? 255 : 0);
                    for (int col = 0; col < Columns; col++)
                    {
                        (byte R, byte G, byte B) px = col switch
                        {
                            0 => (c.Pixels[p], c.Pixels[p + 1], c.Pixels[p + 2]),
                            1 => (mv, mv, mv),
                            2 => (a.Pixels[p], a.Pixels[p + 1], a.Pixels[p + 2]),
                            _ => (Magnify(a.Pixels[p] - c.Pixels[p], maxDelta), Magnify(a.Pixels[p + 1] - c.Pixels[p + 1], maxDelta),
                                  Magnify(a.Pixels[p + 2] - c.Pixels[p + 2], maxDelta)),
                        };
                        int ox = Gap + col * (tileW + Gap) + x * scale, oy = Gap + r * (tileH + Gap) + y * scale;
                        for (int dy = 0; dy < scale; dy++)
                            for (int dx = 0; dx < scale; dx++)
                            {
                                int o = ((oy + dy) * width + ox + dx) * 4;
                                rgba[o] = px.R; rgba[o + 1] = px.G; rgba[o + 2] = px.B; rgba[o + 3] = 255;
                            }
                    }
                }
        }
        return Encode(rgba, width, height);
    }

    static byte Magnify(int delta, int maxDelta) => (byte)Math.Clamp(128 + delta * 127 / maxDelta, 0, 255);

    static unsafe byte[] Encode(byte[] rgba, int width, int height)
    {
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        fixed (byte* p = rgba)
        {
            using var pixmap = new SKPixmap(info, (nint)p, width * 4);
            using var data = pixmap.Encode(SKEncodedImageFormat.Png, 100) ?? throw new InvalidOperationException("PNG encoding failed");
            return data.ToArray();
        }
    }
}
