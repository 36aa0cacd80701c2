namespace Maskbench.Data.Synthetic;

/// <summary>
/// A floating-point RGB drawing surface for the synthetic scenes. Shapes are filled with their exact coverage
/// estimated by supersampling (<see cref="Samples"/>² points per pixel), which anti-aliases their edges.
/// </summary>
sealed class Canvas
{
    public const int Samples = 4;

    public int Width { get; }
    public int Height { get; }
    public float[] Pixels { get; }

    public Canvas(int width, int height)
    {
        Width = width;
        Height = height;
        Pixels = new float[width * height * 3];
    }

    public void Set(int x, int y, Rgb c)
    {
        int o = (y * Width + x) * 3;
        Pixels[o] = (float)c.R; Pixels[o + 1] = (float)c.G; Pixels[o + 2] = (float)c.B;
    }

    public Rgb Get(int x, int y)
    {
        int o = (y * Width + x) * 3;
        return new Rgb(Pixels[o], Pixels[o + 1], Pixels[o + 2]);
    }

    /// <summary>
    /// Paints <paramref name="colorAt"/> (null where the shape is absent) over the canvas inside the pixel box,
    /// each pixel blended by the share of its sample points the shape covers; returns that share per pixel.
    /// </summary>
    public float[] Paint(Func<double, double, Rgb?> colorAt, int x0, int y0, int x1, int y1, double opacity = 1)
    {
        var coverage = new float[Width * Height];
        x0 = Math.Max(0, x0); y0 = Math.Max(0, y0); x1 = Math.Min(Width - 1, x1); y1 = Math.Min(Height - 1, y1);
        const double step = 1.0 / Samples;
        for (int y = y0; y <= y1; y++)
        {
            for (int x = x0; x <= x1; x++)
            {
                double r = 0, g = 0, b = 0;
                int hits = 0;
                for (int sy = 0; sy < Samples; sy++)
                {
                    for (int sx = 0; sx < Samples; sx++)
                    {
                        if (colorAt(x + (sx + 0.5) * step, y + (sy + 0.5) * step) is not Rgb c) continue;
                        r += c.R; g += c.G; b += c.B;
                        hits++;
                    }
                }
                if (hits == 0) continue;
                double share = (double)hits / (Samples * Samples);
                coverage[y * Width + x] = (float)share;
                double alpha = share * opacity;
                var under = Get(x, y);
                Set(x, y, new Rgb(under.R * (1 - alpha) + r / hits * alpha, under.G * (1 - alpha) + g / hits * alpha,
                    under.B * (1 - alpha) + b / hits * alpha));
            }
        }
        return coverage;
    }
}
