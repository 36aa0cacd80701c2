using Maskbench.Data;

namespace Maskbench.Masks;

/// <summary>
/// Scaling between an image and the smaller grid the segmenter cuts: area-average downscaling of the image, and
/// bilinear upscaling of the 0/1 labels thresholded at one half, which keeps the boundary smooth instead of blocky.
/// </summary>
static class WorkingResolution
{
    public static (int Width, int Height) Size(int width, int height, int cap)
    {
        int longer = Math.Max(width, height);
        if (cap <= 0 || longer <= cap) return (width, height);
        double scale = (double)cap / longer;
        return (Math.Max(1, (int)Math.Round(width * scale)), Math.Max(1, (int)Math.Round(height * scale)));
    }

    /// <summary>Area-weighted average of the source pixels each target pixel covers (target not larger than source).</summary>
    public static byte[] Downscale(RgbImage image, int width, int height)
    {
        int sw = image.Width, sh = image.Height;
        if (sw == width && sh == height) return image.Pixels;
        var src = image.Pixels;
        var result = new byte[width * height * 3];
        double fx = (double)sw / width, fy = (double)sh / height;
        Span<double> sum = stackalloc double[3];
        for (int y = 0; y < height; y++)
        {
            double y0 = y * fy, y1 = y0 + fy;
            for (int x = 0; x < width; x++)
            {
                double x0 = x * fx, x1 = x0 + fx;
                sum.Clear();
                double area = 0;
                for (int sy = (int)y0; sy < Math.Min(sh, (int)Math.Ceiling(y1)); sy++)
                {
                    double wy = Math.Min(y1, sy + 1) - Math.Max(y0, sy);
                    for (int sx = (int)x0; sx < Math.Min(sw, (int)Math.Ceiling(x1)); sx++)
                    {
                        double w = wy * (Math.Min(x1, sx + 1) - Math.Max(x0, sx));
                        int o = (sy * sw + sx) * 3;
                        sum[0] += w * src[o]; sum[1] += w * src[o + 1]; sum[2] += w * src[o + 2];
                        area += w;
                    }
                }
                int t = (y * width + x) * 3;
                for (int c = 0; c < 3; c++) result[t + c] = (byte)Math.Clamp((int)Math.Round(sum[c] / area), 0, 255);
            }
        }
        return result;
    }

    /// <summary>Bilinear interpolation of 0/1 labels at pixel centres, foreground where the value is at least 1/2.</summary>
    public static byte[] UpscaleLabels(byte[] labels, int width, int height, int targetWidth, int targetHeight)
    {
        if (width == targetWidth && height == targetHeight) return labels;
        var result = new byte[targetWidth * targetHeight];
        double fx = (double)width / targetWidth, fy = (double)height / targetHeight;
        for (int y = 0; y < targetHeight; y++)
        {
            double v = Math.Clamp((y + 0.5) * fy - 0.5, 0, height - 1);
            int y0 = (int)v, y1 = Math.Min(y0 + 1, height - 1);
            double ty = v - y0;
            for (int x = 0; x < targetWidth; x++)
            {
                double u = Math.Clamp((x + 0.5) * fx - 0.5, 0, width - 1);
                int x0 = (int)u, x1 = Math.Min(x0 + 1, width - 1);
                double tx = u - x0;
                double top = labels[y0 * width + x0] * (1 - tx) + labels[y0 * width + x1] * tx;
                double bottom = labels[y1 * width + x0] * (1 - tx) + labels[y1 * width + x1] * tx;
                result[y * targetWidth + x] = top * (1 - ty) + bottom * ty >= 0.5 ? (byte)1 : (byte)0;
            }
        }
        return result;
    }
}
