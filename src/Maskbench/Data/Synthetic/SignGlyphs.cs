namespace Maskbench.Data.Synthetic;

/// <summary>
/// Pictograms drawn as capsule strokes in glyph units (a [-1, 1] box, y down), simple enough to render exactly at
/// any scale and distinct enough that every synthetic class has its own design.
/// </summary>
public static class SignGlyphs
{
    const double W = 0.13;

    static Stroke S(double x0, double y0, double x1, double y1, double hw = W) => new(x0, y0, x1, y1, hw);
    static Stroke Dot(double x, double y, double r) => new(x, y, x, y, r);

    /// <summary>Seven-segment digits (segments a..g), centred; the width of a digit shrinks with the count.</summary>
    public static Stroke[] Digits(string digits)
    {
        // Segments of each digit, in the order a (top), b (top right), c (bottom right), d (bottom), e, f, g (middle).
        string[] segmentsOf = ["abcdef", "bc", "abdeg", "abcdg", "bcfg", "acdfg", "acdefg", "abc", "abcdefg", "abcdfg"];
        double w = digits.Length >= 3 ? 0.34 : 0.44, h = 0.62, gap = digits.Length >= 3 ? 0.22 : 0.3, hw = digits.Length >= 3 ? 0.085 : 0.1;
        double total = digits.Length * w + (digits.Length - 1) * gap;
        var strokes = new List<Stroke>();
        for (int i = 0; i < digits.Length; i++)
        {
            double l = -total / 2 + i * (w + gap), r = l + w, t = -h, m = 0, b = h;
            foreach (char seg in segmentsOf[digits[i] - '0'])
            {
                strokes.Add(seg switch
                {
                    'a' => S(l, t, r, t, hw), 'b' => S(r, t, r, m, hw), 'c' => S(r, m, r, b, hw), 'd' => S(l, b, r, b, hw),
                    'e' => S(l, m, l, b, hw), 'f' => S(l, t, l, m, hw), _ => S(l, m, r, m, hw),
                });
            }
        }
        return [.. strokes];
    }

    /// <summary>An arrow from (x0, y0) to the tip (x1, y1) with a two-stroke head.</summary>
    public static Stroke[] Arrow(double x0, double y0, double x1, double y1, double hw = 0.12)
    {
        double dx = x1 - x0, dy = y1 - y0, len = Math.Sqrt(dx * dx + dy * dy);
        double ux = dx / len, uy = dy / len, head = 0.38;
        return
        [
            S(x0, y0, x1, y1, hw),
            S(x1, y1, x1 - head * (ux - uy * 0.8), y1 - head * (uy + ux * 0.8), hw),
            S(x1, y1, x1 - head * (ux + uy * 0.8), y1 - head * (uy - ux * 0.8), hw),
        ];
    }

    /// <summary>Strokes along a circular arc (angles in degrees, y down).</summary>
    public static Stroke[] Arc(double cx, double cy, double radius, double fromDeg, double toDeg, double hw = W, int pieces = 10)
    {
        var strokes = new Stroke[pieces];
        for (int i = 0; i < pieces; i++)
        {
            double a0 = (fromDeg + (toDeg - fromDeg) * i / pieces) * Math.PI / 180;
            double a1 = (fromDeg + (toDeg - fromDeg) * (i + 1) / pieces) * Math.PI / 180;
            strokes[i] = S(cx + radius * Math.Cos(a0), cy + radius * Math.Sin(a0), cx + radius * Math.Cos(a1), cy + radius * Math.Sin(a1), hw);
        }
        return strokes;
    }

    public static Stroke[] Polyline(double hw, params (double X, double Y)[] points) =>
        Enumerable.Range(0, points.Length - 1).Select(i => S(points[i].X, points[i].Y, points[i + 1].X, points[i + 1].Y, hw)).ToArray();

    public static Stroke[] HorizontalBar => [S(-0.72, 0, 0.72, 0, 0.2)];
    public static Stroke[] Exclamation => [S(0, -0.75, 0, 0.25, 0.13), Dot(0, 0.65, 0.15)];
    public static Stroke[] DiagonalStripes => [S(-0.75, 0.55, 0.55, -0.75, 0.05), S(-0.6, 0.7, 0.7, -0.6, 0.05), S(-0.45, 0.85, 0.85, -0.45, 0.05)];
    public static Stroke[] Car(double x) => [S(x - 0.18, -0.3, x + 0.18, -0.3, 0.15), S(x - 0.22, 0.1, x + 0.22, 0.1, 0.2), Dot(x - 0.2, 0.45, 0.1),
        Dot(x + 0.2, 0.45, 0.1)];
    public static Stroke[] Truck(double x) => [S(x - 0.3, -0.25, x + 0.15, -0.25, 0.22), S(x + 0.2, -0.05, x + 0.35, -0.05, 0.15),
        S(x - 0.3, 0.15, x + 0.35, 0.15, 0.1), Dot(x - 0.2, 0.4, 0.11), Dot(x + 0.25, 0.4, 0.11)];
    public static Stroke[] Figure(double x, double height) =>
        [Dot(x, -0.62 * height, 0.15 * height), S(x, -0.4 * height, x, 0.2 * height, 0.12 * height),
            S(x, 0.2 * height, x - 0.25 * height, 0.75 * height, 0.1 * height),
         S(x, 0.2 * height, x + 0.25 * height, 0.75 * height, 0.1 * height), S(x, -0.3 * height, x + 0.3 * height, 0.05 * height, 0.09 * height)];
    public static Stroke[] Bicycle => [.. Arc(-0.45, 0.35, 0.3, 0, 360, 0.07, 12), .. Arc(0.45, 0.35, 0.3, 0, 360, 0.07, 12),
        S(-0.45, 0.35, 0, -0.2, 0.07), S(0, -0.2, 0.45, 0.35, 0.07), S(0, -0.2, 0.1, -0.45, 0.07)];
    public static Stroke[] Snowflake => [S(0, -0.75, 0, 0.75, 0.09), S(-0.65, -0.38, 0.65, 0.38, 0.09), S(-0.65, 0.38, 0.65, -0.38, 0.09)];
    public static Stroke[] Deer => [S(-0.5, -0.05, 0.35, -0.05, 0.17), S(-0.45, 0.05, -0.5, 0.65, 0.07), S(0.3, 0.05, 0.4, 0.65, 0.07),
        S(0.35, -0.1, 0.6, -0.5, 0.09), S(0.6, -0.5, 0.5, -0.85, 0.05), S(0.6, -0.5, 0.85, -0.75, 0.05)];
    public static Stroke[] TrafficLights => [Dot(0, -0.55, 0.2), Dot(0, 0, 0.2), Dot(0, 0.55, 0.2)];
    public static Stroke[] RoadWork => [Dot(-0.1, -0.6, 0.15), S(-0.1, -0.4, -0.25, 0.2, 0.13), S(-0.25, 0.2, 0.1, 0.7, 0.09),
        S(-0.2, -0.2, 0.45, 0.05, 0.07), S(-0.8, 0.75, 0.8, 0.75, 0.08)];
    public static Stroke[] Bumps => [.. Arc(-0.35, 0.45, 0.35, 180, 360, 0.1, 6), .. Arc(0.35, 0.45, 0.35, 180, 360, 0.1, 6)];
    public static Stroke[] Slippery => [S(-0.35, -0.1, 0.35, -0.1, 0.18),
        .. Polyline(0.06, (-0.7, 0.55), (-0.4, 0.35), (-0.1, 0.65), (0.2, 0.35), (0.5, 0.65))];
    public static Stroke[] Narrows => [S(-0.35, -0.8, -0.35, 0.8, 0.1), .. Polyline(0.1, (0.45, 0.8), (0.45, 0.15), (0.15, -0.2), (0.15, -0.8))];
    public static Stroke[] CurveLeft => Polyline(0.13, (0.2, 0.8), (0.2, 0.0), (-0.15, -0.45), (-0.45, -0.35));
    public static Stroke[] CurveRight => Polyline(0.13, (-0.2, 0.8), (-0.2, 0.0), (0.15, -0.45), (0.45, -0.35));
    public static Stroke[] DoubleCurve => Polyline(0.12, (0.0, 0.8), (0.0, 0.4), (-0.35, 0.1), (0.1, -0.3), (0.1, -0.6), (-0.2, -0.85));
    public static Stroke[] Roundabout => [.. Arrow(0.55, 0.35, 0.62, -0.15, 0.1), .. Arc(0, 0, 0.62, 20, 130, 0.1, 5),
        .. Arc(0, 0, 0.62, 150, 260, 0.1, 5), .. Arc(0, 0, 0.62, 280, 340, 0.1, 3)];
    public static Stroke[] Crossroads => [S(0, -0.75, 0, 0.75, 0.14), S(-0.55, 0, 0.55, 0, 0.14)];
}
