using Maskbench.Data;

namespace Maskbench.Tests.Masks;

/// <summary>
/// Test fixture: GTSRB-like images with true masks. A sign (circle, triangle, inverted triangle, octagon, diamond or
/// square; a coloured rim, a light or coloured inside and a dark glyph) fills the image less a margin of about 10%
/// with jitter, over a cluttered background (a gradient, noise, blobs of other colours, sometimes a pole). Sizes
/// 25 to 130 pixels. Written independently of the project's `synth gtsrb` so the segmenter is judged by a second
/// generator too.
/// </summary>
static class SyntheticSigns
{
    public const int Shapes = 6;

    static readonly (byte R, byte G, byte B)[] Rims = [(200, 30, 35), (30, 70, 170), (210, 40, 60), (180, 20, 20)];
    static readonly (byte R, byte G, byte B)[] Insides = [(235, 235, 230), (250, 210, 40), (40, 90, 190), (240, 240, 240)];

    public static (RgbImage Image, BinaryMask Truth, RoiBox Roi, int Shape) Make(int seed)
    {
        var random = new Random(seed);
        int shape = random.Next(Shapes);
        int size = 25 + random.Next(106);
        int width = size, height = Math.Clamp(size + random.Next(-size / 8, size / 8 + 1), 15, 250);
        double margin = 0.08 + 0.05 * random.NextDouble();
        double cx = width / 2.0 + (random.NextDouble() - 0.5) * width * 0.06;
        double cy = height / 2.0 + (random.NextDouble() - 0.5) * height * 0.06;
        double rx = width * (0.5 - margin), ry = height * (0.5 - margin);
        var rim = Rims[random.Next(Rims.Length)];
        var inside = Insides[random.Next(Insides.Length)];
        if (inside == rim) inside = Insides[0];
        double rimWidth = 0.2 + 0.1 * random.NextDouble();

        var image = new RgbImage(width, height);
        var truth = new BinaryMask(width, height);
        var (br, bg, bb) = BackgroundBase(random);
        double gradient = (random.NextDouble() - 0.5) * 80;
        var blobs = Enumerable.Range(0, random.Next(2, 6)).Select(_ => (
            X: random.NextDouble() * width, Y: random.NextDouble() * height, R: (0.1 + 0.25 * random.NextDouble()) * size,
            Colour: BackgroundBase(random))).ToArray();
        bool pole = random.Next(3) == 0;
        double lighting = 0.6 + 0.6 * random.NextDouble();
        int minX = width, minY = height, maxX = -1, maxY = -1;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                double u = (x + 0.5 - cx) / rx, v = (y + 0.5 - cy) / ry;
                double r, g, b;
                if (Inside(shape, u, v, 1))
                {
                    truth[x, y] = 1;
                    minX = Math.Min(minX, x); maxX = Math.Max(maxX, x); minY = Math.Min(minY, y); maxY = Math.Max(maxY, y);
                    var c = !Inside(shape, u, v, 1 - rimWidth) ? rim
                        : Math.Abs(u) < 0.28 && Math.Abs(v) < 0.14 ? ((byte)25, (byte)25, (byte)30) : inside;
                    (r, g, b) = (c.Item1 * lighting, c.Item2 * lighting, c.Item3 * lighting);
                }
                else
                {
                    (r, g, b) = (br, bg, bb);
                    foreach (var blob in blobs)
                        if ((x - blob.X) * (x - blob.X) + (y - blob.Y) * (y - blob.Y) < blob.R * blob.R) (r, g, b) = blob.Colour;
                    if (pole && Math.Abs(x - cx) < width * 0.04 && y > cy) (r, g, b) = (120, 120, 125);
                    double t = gradient * (y / (double)height - 0.5);
                    r += t; g += t; b += t;
                }
                double noise = (random.NextDouble() - 0.5) * 24;
                image[x, y] = (Clamp(r + noise + (random.NextDouble() - 0.5) * 8), Clamp(g + noise), Clamp(b + noise));
            }
        // The ROI is the sign's bounding box, widened by a pixel as annotators tend to.
        var roi = new RoiBox(Math.Max(0, minX - 1), Math.Max(0, minY - 1), Math.Min(width - 1, maxX + 1), Math.Min(height - 1, maxY + 1));
        return (image, truth, roi, shape);
    }

    static (double, double, double) BackgroundBase(Random random) => random.Next(5) switch
    {
        0 => (120 + random.Next(60), 160 + random.Next(60), 200 + random.Next(50)),   // sky
        1 => (40 + random.Next(50), 80 + random.Next(60), 30 + random.Next(40)),      // foliage
        2 => (110 + random.Next(60), 100 + random.Next(50), 90 + random.Next(50)),    // wall
        3 => (60 + random.Next(40), 60 + random.Next(40), 65 + random.Next(40)),      // road, shade
        _ => (random.Next(256), random.Next(256), random.Next(256)),
    };

    static byte Clamp(double v) => (byte)Math.Clamp((int)Math.Round(v), 0, 255);

    /// <summary>Whether (u, v), in units of the sign's half-extents, lies inside the shape scaled by <paramref name="s"/>.</summary>
    static bool Inside(int shape, double u, double v, double s)
    {
        u /= s; v /= s;
        switch (shape)
        {
            case 0: return u * u + v * v <= 1;
            case 1: return v <= 1 && v >= -1 + 2 * Math.Abs(u) * 1.0 && Math.Abs(u) <= 1;            // apex up
            case 2: return v >= -1 && v <= 1 - 2 * Math.Abs(u) && Math.Abs(u) <= 1;                  // apex down
            case 3: return Math.Max(Math.Max(Math.Abs(u), Math.Abs(v)), (Math.Abs(u) + Math.Abs(v)) / 1.3066) <= 1;  // octagon
            case 4: return Math.Abs(u) + Math.Abs(v) <= 1;                                            // diamond
            default: return Math.Max(Math.Abs(u), Math.Abs(v)) <= 0.92;                               // square
        }
    }
}
