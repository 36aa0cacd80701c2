namespace Maskbench.Data.Synthetic;

/// <summary>
/// Cluttered backgrounds for synthetic sign images, the kinds GTSRB's road-side crops show: sky gradients with
/// clouds, foliage-like value noise, brick walls, a horizon between sky and trees; then poles, wires and other
/// shapes on top. Everything is drawn from the given <see cref="Random"/>, so a seed fixes the scene.
/// </summary>
static class SceneBackground
{
    public static void Draw(Canvas canvas, Random random, double signCenterX, double signCenterY, double signSize)
    {
        switch (random.Next(4))
        {
            case 0: Sky(canvas, random, 0, canvas.Height); break;
            case 1: Foliage(canvas, random, 0); break;
            case 2: Bricks(canvas, random); break;
            default:
                int horizon = (int)(canvas.Height * (0.2 + 0.6 * random.NextDouble()));
                Sky(canvas, random, 0, horizon);
                Foliage(canvas, random, horizon);
                break;
        }
        // A pole carrying the sign, most of the time.
        if (random.NextDouble() < 0.7)
        {
            double half = signSize * (0.03 + 0.05 * random.NextDouble());
            var color = Shade(new Rgb(0.55, 0.56, 0.58), random, 0.25);
            canvas.Paint((x, y) => Math.Abs(x - signCenterX) <= half && y >= signCenterY ? color : null,
                (int)(signCenterX - half) - 1, (int)signCenterY - 1, (int)(signCenterX + half) + 1, canvas.Height - 1);
        }
        int clutter = random.Next(4);
        for (int i = 0; i < clutter; i++) Clutter(canvas, random, signSize);
    }

    static void Sky(Canvas canvas, Random random, int y0, int y1)
    {
        var top = Shade(new Rgb(0.35, 0.55, 0.85), random, 0.3);
        var bottom = top.Mix(new Rgb(0.85, 0.88, 0.9), 0.4 + 0.5 * random.NextDouble());
        var clouds = new ValueNoise(random, canvas.Width, canvas.Height, 6 + random.Next(12));
        double cloudiness = random.NextDouble();
        for (int y = y0; y < y1; y++)
        {
            var row = top.Mix(bottom, (double)(y - y0) / Math.Max(1, y1 - y0 - 1));
            for (int x = 0; x < canvas.Width; x++)
            {
                double c = Math.Clamp((clouds.At(x, y) - 0.55) * 2.5, 0, 1) * cloudiness;
                canvas.Set(x, y, row.Mix(new Rgb(0.92, 0.92, 0.93), c));
            }
        }
    }

    static void Foliage(Canvas canvas, Random random, int y0)
    {
        var dark = Shade(new Rgb(0.08, 0.16, 0.06), random, 0.4);
        var light = Shade(random.NextDouble() < 0.7 ? new Rgb(0.35, 0.5, 0.2) : new Rgb(0.5, 0.42, 0.28), random, 0.3);
        var coarse = new ValueNoise(random, canvas.Width, canvas.Height, 5 + random.Next(8));
        var fine = new ValueNoise(random, canvas.Width, canvas.Height, 2 + random.Next(2));
        for (int y = y0; y < canvas.Height; y++)
            for (int x = 0; x < canvas.Width; x++)
                canvas.Set(x, y, dark.Mix(light, Math.Clamp(0.65 * coarse.At(x, y) + 0.5 * fine.At(x, y) - 0.1, 0, 1)));
    }

    static void Bricks(Canvas canvas, Random random)
    {
        var brick = Shade(random.NextDouble() < 0.5 ? new Rgb(0.55, 0.28, 0.2) : new Rgb(0.6, 0.58, 0.55), random, 0.3);
        var mortar = brick.Mix(new Rgb(0.75, 0.74, 0.7), 0.6);
        int rowHeight = 4 + random.Next(8), brickWidth = rowHeight * (2 + random.Next(2));
        int offsetX = random.Next(brickWidth), offsetY = random.Next(rowHeight);
        var tint = new double[64];
        for (int i = 0; i < tint.Length; i++) tint[i] = 0.8 + 0.35 * random.NextDouble();
        for (int y = 0; y < canvas.Height; y++)
        {
            int row = (y + offsetY) / rowHeight;
            for (int x = 0; x < canvas.Width; x++)
            {
                int shifted = x + offsetX + (row % 2) * brickWidth / 2;
                bool joint = (y + offsetY) % rowHeight == 0 || shifted % brickWidth == 0;
                double t = tint[(row * 7 + shifted / brickWidth) & 63];
                canvas.Set(x, y, joint ? mortar : new Rgb(brick.R * t, brick.G * t, brick.B * t));
            }
        }
    }

    /// <summary>Another object in the scene: a disc, a box, a wire, or a piece of another sign at the border.</summary>
    static void Clutter(Canvas canvas, Random random, double signSize)
    {
        double cx = canvas.Width * random.NextDouble(), cy = canvas.Height * random.NextDouble();
        double size = signSize * (0.15 + 0.6 * random.NextDouble());
        Rgb color = random.Next(5) switch
        {
            0 => Shade(Rgb.Red, random, 0.3),
            1 => Shade(Rgb.Blue, random, 0.3),
            2 => Shade(Rgb.White, random, 0.2),
            3 => Shade(new Rgb(0.2, 0.2, 0.2), random, 0.5),
            _ => new Rgb(random.NextDouble(), random.NextDouble(), random.NextDouble()),
        };
        Func<double, double, Rgb?> shape;
        // The box the shape lies in (the whole canvas unless known), so that supersampling skips the rest.
        var (bx0, by0, bx1, by1) = (0, 0, canvas.Width - 1, canvas.Height - 1);
        switch (random.Next(4))
        {
            case 0:
                shape = (x, y) => (x - cx) * (x - cx) + (y - cy) * (y - cy) <= size * size ? color : null;
                (bx0, by0, bx1, by1) = ((int)(cx - size) - 1, (int)(cy - size) - 1, (int)(cx + size) + 1, (int)(cy + size) + 1);
                break;
            case 1:
                double w = size, h = size * (0.3 + random.NextDouble());
                shape = (x, y) => Math.Abs(x - cx) <= w && Math.Abs(y - cy) <= h ? color : null;
                (bx0, by0, bx1, by1) = ((int)(cx - w) - 1, (int)(cy - h) - 1, (int)(cx + w) + 1, (int)(cy + h) + 1);
                break;
            case 2:
                var wire = new Stroke(0, cy, canvas.Width, cy + (random.NextDouble() - 0.5) * canvas.Height, 0.4 + random.NextDouble());
                shape = (x, y) => wire.Contains(x, y) ? color : null;
                break;
            default:
                // A neighbouring sign cut by the image border, as often in GTSRB crops.
                double edgeX = random.Next(2) == 0 ? -signSize * 0.6 : canvas.Width + signSize * 0.6;
                double r = signSize * 0.75;
                shape = (x, y) =>
                {
                    double d = Math.Sqrt((x - edgeX) * (x - edgeX) + (y - cy) * (y - cy));
                    return d <= r ? (d >= r * 0.8 ? Rgb.Red : Rgb.White) : null;
                };
                break;
        }
        canvas.Paint(shape, bx0, by0, bx1, by1, opacity: 0.6 + 0.4 * random.NextDouble());
    }

    static Rgb Shade(Rgb c, Random random, double amount)
    {
        double k = 1 + amount * (2 * random.NextDouble() - 1);
        return new Rgb(Math.Clamp(c.R * k, 0, 1), Math.Clamp(c.G * k, 0, 1), Math.Clamp(c.B * k, 0, 1));
    }
}

/// <summary>Value noise: random values on a lattice of the given cell size, smoothly interpolated.</summary>
sealed class ValueNoise
{
    readonly double[] _lattice;
    readonly int _columns;
    readonly double _cell;

    public ValueNoise(Random random, int width, int height, int cell)
    {
        _cell = Math.Max(1, cell);
        _columns = (int)(width / _cell) + 2;
        int rows = (int)(height / _cell) + 2;
        _lattice = new double[_columns * rows];
        for (int i = 0; i < _lattice.Length; i++) _lattice[i] = random.NextDouble();
    }

    public double At(double x, double y)
    {
        double gx = x / _cell, gy = y / _cell;
        int ix = (int)gx, iy = (int)gy;
        double fx = Smooth(gx - ix), fy = Smooth(gy - iy);
        double a = _lattice[iy * _columns + ix], b = _lattice[iy * _columns + ix + 1];
        double c = _lattice[(iy + 1) * _columns + ix], d = _lattice[(iy + 1) * _columns + ix + 1];
        return (a + (b - a) * fx) * (1 - fy) + (c + (d - c) * fx) * fy;
    }

    static double Smooth(double t) => t * t * (3 - 2 * t);
}
