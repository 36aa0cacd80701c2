namespace Maskbench.Data.Coco;

/// <summary>
/// Rasterizes a polygon to an RLE exactly as the COCO API does (maskApi.c <c>rleFrPoly</c>), so that masks agree
/// bit for bit with what every COCO user computes with pycocotools:
/// <list type="number">
/// <item>vertices are scaled by 5 and rounded with C's <c>(int)(v + .5)</c> (truncation toward zero);</item>
/// <item>each edge is walked one step per upsampled unit along its longer axis, the other coordinate rounded the
///       same way, always from the lower end so an edge gives the same points in either direction;</item>
/// <item>wherever the walk crosses a vertical line through an original pixel centre, the crossing's y (scaled
///       back, clamped to [0, h], rounded up) marks where a run toggles in that column;</item>
/// <item>the toggle positions, in column-major pixel index, are sorted and turned into run lengths, and empty
///       runs between two toggles at the same place cancel.</item>
/// </list>
/// A pixel is therefore inside when its centre lies inside the polygon in the upsampled lattice (even-odd rule).
/// </summary>
public static class PolygonRasterizer
{
    const double Scale = 5;

    /// <summary>Polygon given as x0, y0, x1, y1, ... in pixel coordinates (an odd trailing value is ignored).</summary>
    public static Rle FromPolygon(ReadOnlySpan<double> xy, int height, int width)
    {
        int k = xy.Length / 2;
        if (k == 0) return new Rle(height, width, [(uint)(height * width)]);
        var (u, v) = UpsampledBoundary(xy, k);
        var toggles = ColumnToggles(u, v, height, width);
        return new Rle(height, width, RunsFromToggles(toggles, height, width));
    }

    /// <summary>A box (x, y, width, height) as the COCO API rasterizes it (maskApi.c <c>rleFrBbox</c>): a 4-vertex polygon.</summary>
    public static Rle FromBox(double x, double y, double boxWidth, double boxHeight, int height, int width)
    {
        double xe = x + boxWidth, ye = y + boxHeight;
        return FromPolygon([x, y, x, ye, xe, ye, xe, y], height, width);
    }

    static (int[] U, int[] V) UpsampledBoundary(ReadOnlySpan<double> xy, int k)
    {
        var x = new int[k + 1];
        var y = new int[k + 1];
        for (int j = 0; j < k; j++) { x[j] = TruncateLikeC(Scale * xy[2 * j] + .5); y[j] = TruncateLikeC(Scale * xy[2 * j + 1] + .5); }
        x[k] = x[0];
        y[k] = y[0];
        long total = 0;
        for (int j = 0; j < k; j++) total += Math.Max(Math.Abs((long)x[j] - x[j + 1]), Math.Abs((long)y[j] - y[j + 1])) + 1;
        var u = new int[checked((int)total)];
        var v = new int[u.Length];
        int m = 0;
        for (int j = 0; j < k; j++)
        {
            int xs = x[j], xe = x[j + 1], ys = y[j], ye = y[j + 1];
            int dx = Math.Abs(xe - xs), dy = Math.Abs(ys - ye);
            bool alongX = dx >= dy;
            // Walk from the lower end of the longer axis so both directions of an edge round identically.
            bool flip = alongX ? xs > xe : ys > ye;
            if (flip) { (xs, xe) = (xe, xs); (ys, ye) = (ye, ys); }
            if (alongX)
            {
                double s = (double)(ye - ys) / dx; // NaN for a repeated vertex, as in C
                for (int d = 0; d <= dx; d++)
                {
                    int t = flip ? dx - d : d;
                    u[m] = t + xs;
                    v[m] = TruncateLikeC(ys + s * t + .5);
                    m++;
                }
            }
            else
            {
                double s = (double)(xe - xs) / dy;
                for (int d = 0; d <= dy; d++)
                {
                    int t = flip ? dy - d : d;
                    v[m] = t + ys;
                    u[m] = TruncateLikeC(xs + s * t + .5);
                    m++;
                }
            }
        }
        return (u, v);
    }

    /// <summary>Column-major pixel indices (x·h + y) where a run toggles, from the boundary's crossings of pixel-centre columns.</summary>
    static List<uint> ColumnToggles(int[] u, int[] v, int h, int w)
    {
        var toggles = new List<uint>();
        for (int j = 1; j < u.Length; j++)
        {
            if (u[j] == u[j - 1]) continue;
            double xd = u[j] < u[j - 1] ? u[j] : u[j] - 1;
            xd = (xd + .5) / Scale - .5;
            if (Math.Floor(xd) != xd || xd < 0 || xd > (double)((ulong)(long)w - 1)) continue;
            double yd = Math.Min(v[j], v[j - 1]);
            yd = (yd + .5) / Scale - .5;
            if (yd < 0) yd = 0;
            else if (yd > h) yd = h;
            yd = Math.Ceiling(yd);
            toggles.Add((uint)((int)xd * h + (int)yd));
        }
        return toggles;
    }

    static uint[] RunsFromToggles(List<uint> toggles, int h, int w)
    {
        toggles.Add((uint)(h * w));
        toggles.Sort();
        uint previous = 0;
        for (int j = 0; j < toggles.Count; j++) { uint t = toggles[j]; toggles[j] -= previous; previous = t; }
        // Two toggles at one index make an empty run: fold it and its successor into the run before.
        var runs = new List<uint>(toggles.Count) { toggles[0] };
        int i = 1;
        while (i < toggles.Count)
        {
            if (toggles[i] > 0) runs.Add(toggles[i++]);
            else
            {
                i++;
                if (i < toggles.Count) runs[^1] += toggles[i++];
            }
        }
        return runs.ToArray();
    }

    /// <summary>C's double-to-int cast as x86-64 performs it: truncation, and INT_MIN for NaN or out of range.</summary>
    static int TruncateLikeC(double value) =>
        double.IsNaN(value) || value >= 2147483648.0 || value <= -2147483649.0 ? int.MinValue : (int)value;
}
