namespace Maskbench.Data.Synthetic;

/// <summary>One rendered sample: the image, the sign's true mask (pixels it covers by at least half) and its box.</summary>
public sealed record SignSample(RgbImage Image, BinaryMask Mask, RoiBox Roi);

/// <summary>
/// Renders one GTSRB-like crop: a background scene, the sign placed with the GTSRB border (10% of the sign size,
/// at least 5 pixels, GTSRB Readme-Images.txt) plus a random extra on each side, then lighting (gain, gamma,
/// colour cast), blur and sensor noise. The sign is supersampled, so its edges are anti-aliased and its coverage
/// per pixel is known; the true mask is coverage &gt;= 0.5, taken before blur.
/// </summary>
public static class SignImageRenderer
{
    public static SignSample Render(SignDesign design, SignView view, Random scene, Random random)
    {
        var map = view.Map();
        double minX = double.MaxValue, minY = double.MaxValue, maxX = double.MinValue, maxY = double.MinValue;
        foreach (var (u, v) in SignGeometry.Outline(design.Shape))
        {
            var (x, y) = map.Apply(u, v);
            minX = Math.Min(minX, x); maxX = Math.Max(maxX, x); minY = Math.Min(minY, y); maxY = Math.Max(maxY, y);
        }
        double boxSize = Math.Max(maxX - minX, maxY - minY);
        int margin = Math.Max(5, (int)Math.Round(0.1 * boxSize));
        int left = margin + random.Next(margin / 2 + 2), right = margin + random.Next(margin / 2 + 2);
        int top = margin + random.Next(margin / 2 + 2), bottom = margin + random.Next(margin / 2 + 2);
        int width = (int)Math.Ceiling(maxX - minX) + left + right, height = (int)Math.Ceiling(maxY - minY) + top + bottom;
        var toPixels = Projective.Translation(left - minX, top - minY) * map;
        var toSign = toPixels.Inverse();

        var canvas = new Canvas(width, height);
        var (centerX, centerY) = toPixels.Apply(0, 0);
        SceneBackground.Draw(canvas, scene, centerX, centerY, boxSize);

        // Paint ages: faded signs drift towards a pale grey; the sign is lit like the rest of the scene below.
        var pale = new Rgb(0.8, 0.8, 0.78);
        var coverage = canvas.Paint((x, y) =>
        {
            var (u, v) = toSign.Apply(x, y);
            return design.ColorAt(u, v) is Rgb c ? c.Mix(pale, view.Fade) : null;
        }, (int)(left - 1), (int)(top - 1), width - right + 1, height - bottom + 1);

        var mask = new BinaryMask(width, height);
        for (int i = 0; i < coverage.Length; i++) mask.Values[i] = coverage[i] >= 0.5f ? (byte)1 : (byte)0;
        var roi = BoxOf(mask);

        double sigma = random.NextDouble() < 0.3 ? 0 : 0.3 + 0.9 * random.NextDouble();
        if (sigma > 0) GaussianBlur(canvas, sigma);
        return new SignSample(Develop(canvas, random), mask, roi);
    }

    /// <summary>Lighting (gain, gamma, colour cast) and Gaussian sensor noise, then 8-bit quantisation.</summary>
    static RgbImage Develop(Canvas canvas, Random random)
    {
        double gain = Math.Clamp(Math.Exp(0.35 * Gaussian(random)), 0.35, 1.6);
        double gamma = 0.7 + 0.8 * random.NextDouble();
        double[] cast = [1 + 0.06 * Gaussian(random), 1 + 0.06 * Gaussian(random), 1 + 0.06 * Gaussian(random)];
        double noise = 6 * random.NextDouble();
        var image = new RgbImage(canvas.Width, canvas.Height);
        for (int i = 0; i < canvas.Pixels.Length; i++)
        {
            double lit = Math.Pow(Math.Clamp(canvas.Pixels[i] * gain * cast[i % 3], 0, 1), gamma);
            image.Pixels[i] = (byte)Math.Clamp(Math.Round(255 * lit + noise * Gaussian(random)), 0, 255);
        }
        return image;
    }

    static void GaussianBlur(Canvas canvas, double sigma)
    {
        int radius = (int)Math.Ceiling(3 * sigma);
        var kernel = new double[2 * radius + 1];
        double sum = 0;
        for (int k = -radius; k <= radius; k++) sum += kernel[k + radius] = Math.Exp(-k * k / (2 * sigma * sigma));
        for (int k = 0; k < kernel.Length; k++) kernel[k] /= sum;
        int w = canvas.Width, h = canvas.Height;
        var source = (float[])canvas.Pixels.Clone();
        var target = canvas.Pixels;
        // Horizontal pass into target, vertical pass back from a copy; edges are clamped.
        for (int pass = 0; pass < 2; pass++)
        {
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    for (int c = 0; c < 3; c++)
                    {
                        double acc = 0;
                        for (int k = -radius; k <= radius; k++)
                        {
                            int sx = pass == 0 ? Math.Clamp(x + k, 0, w - 1) : x, sy = pass == 1 ? Math.Clamp(y + k, 0, h - 1) : y;
                            acc += kernel[k + radius] * source[(sy * w + sx) * 3 + c];
                        }
                        target[(y * w + x) * 3 + c] = (float)acc;
                    }
            if (pass == 0) Array.Copy(target, source, target.Length);
        }
    }

    static RoiBox BoxOf(BinaryMask mask)
    {
        int x1 = int.MaxValue, y1 = int.MaxValue, x2 = -1, y2 = -1;
        for (int y = 0; y < mask.Height; y++)
            for (int x = 0; x < mask.Width; x++)
                if (mask[x, y] != 0) { x1 = Math.Min(x1, x); x2 = Math.Max(x2, x); y1 = Math.Min(y1, y); y2 = Math.Max(y2, y); }
        if (x2 < 0) throw new InvalidOperationException("the sign covers no pixel");
        return new RoiBox(x1, y1, x2, y2);
    }

    static double Gaussian(Random random)
    {
        double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
