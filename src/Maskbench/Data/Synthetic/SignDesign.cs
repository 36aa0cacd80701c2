namespace Maskbench.Data.Synthetic;

/// <summary>The outline of a traffic sign, in sign coordinates where the sign spans [-1, 1] on both axes (y down).</summary>
public enum SignShape { Circle, Triangle, InvertedTriangle, Octagon, Diamond, Square }

/// <summary>A linear RGB colour with components in [0, 1].</summary>
public readonly record struct Rgb(double R, double G, double B)
{
    public static readonly Rgb Red = new(0.78, 0.07, 0.09);
    public static readonly Rgb Blue = new(0.04, 0.24, 0.62);
    public static readonly Rgb Yellow = new(0.97, 0.76, 0.05);
    public static readonly Rgb White = new(0.93, 0.93, 0.91);
    public static readonly Rgb Black = new(0.07, 0.07, 0.08);
    public static readonly Rgb Gray = new(0.55, 0.55, 0.56);

    public Rgb Mix(Rgb other, double t) => new(R + (other.R - R) * t, G + (other.G - G) * t, B + (other.B - B) * t);
}

/// <summary>A capsule (a segment with round caps) of half-width <see cref="HalfWidth"/>; a dot has equal ends.</summary>
public readonly record struct Stroke(double X0, double Y0, double X1, double Y1, double HalfWidth)
{
    public bool Contains(double x, double y)
    {
        double dx = X1 - X0, dy = Y1 - Y0;
        double lengthSquared = dx * dx + dy * dy;
        double t = lengthSquared > 0 ? Math.Clamp(((x - X0) * dx + (y - Y0) * dy) / lengthSquared, 0, 1) : 0;
        double ex = x - (X0 + t * dx), ey = y - (Y0 + t * dy);
        return ex * ex + ey * ey <= HalfWidth * HalfWidth;
    }
}

/// <summary>Strokes painted in one colour over the sign's face, in sign coordinates.</summary>
public sealed record GlyphLayer(Rgb Color, IReadOnlyList<Stroke> Strokes)
{
    public bool Contains(double x, double y)
    {
        foreach (var s in Strokes) if (s.Contains(x, y)) return true;
        return false;
    }
}

/// <summary>
/// One synthetic sign class: outline, a rim of <see cref="RimWidth"/> (sign units, measured inward from the
/// outline) in <see cref="Rim"/>, the face in <see cref="Face"/>, and glyph layers on top. Real signs carry a thin
/// light edge outside a coloured rim; <see cref="Edge"/> paints it.
/// </summary>
public sealed record SignDesign(string Name, SignShape Shape, Rgb Rim, double RimWidth, Rgb Face, IReadOnlyList<GlyphLayer> Glyphs, Rgb? Edge = null)
{
    const double EdgeWidth = 0.045;

    /// <summary>The colour of the sign at (x, y), or null outside it.</summary>
    public Rgb? ColorAt(double x, double y)
    {
        double depth = SignGeometry.Depth(Shape, x, y);
        if (depth < 0) return null;
        if (Edge is Rgb edge && depth < EdgeWidth) return edge;
        if (depth < RimWidth) return Rim;
        for (int i = Glyphs.Count - 1; i >= 0; i--)
            if (Glyphs[i].Contains(x, y)) return Glyphs[i].Color;
        return Face;
    }
}

/// <summary>Outlines as inside depth: positive inside, the distance (sign units) to the nearest outline edge.</summary>
public static class SignGeometry
{
    static readonly (double X, double Y)[] Triangle = [(0, -0.96), (1, 0.77), (-1, 0.77)];
    static readonly (double X, double Y)[] InvertedTriangle = [(-1, -0.77), (1, -0.77), (0, 0.96)];
    static readonly (double X, double Y)[] Diamond = [(0, -1), (1, 0), (0, 1), (-1, 0)];
    static readonly (double X, double Y)[] Square = [(-0.9, -0.9), (0.9, -0.9), (0.9, 0.9), (-0.9, 0.9)];
    static readonly (double X, double Y)[] Octagon = Enumerable.Range(0, 8)
        .Select(k => (Math.Cos((22.5 + 45 * k) * Math.PI / 180), Math.Sin((22.5 + 45 * k) * Math.PI / 180))).ToArray();

    public static double Depth(SignShape shape, double x, double y) => shape switch
    {
        SignShape.Circle => 1 - Math.Sqrt(x * x + y * y),
        SignShape.Triangle => ConvexDepth(Triangle, x, y),
        SignShape.InvertedTriangle => ConvexDepth(InvertedTriangle, x, y),
        SignShape.Octagon => ConvexDepth(Octagon, x, y),
        SignShape.Diamond => ConvexDepth(Diamond, x, y),
        SignShape.Square => ConvexDepth(Square, x, y),
        _ => throw new ArgumentOutOfRangeException(nameof(shape)),
    };

    /// <summary>Points on the outline (for bounding boxes after a projective map).</summary>
    public static IEnumerable<(double X, double Y)> Outline(SignShape shape) => shape switch
    {
        SignShape.Circle => Enumerable.Range(0, 72).Select(k => (Math.Cos(k * Math.PI / 36), Math.Sin(k * Math.PI / 36))),
        SignShape.Triangle => Triangle,
        SignShape.InvertedTriangle => InvertedTriangle,
        SignShape.Octagon => Octagon,
        SignShape.Diamond => Diamond,
        SignShape.Square => Square,
        _ => throw new ArgumentOutOfRangeException(nameof(shape)),
    };

    /// <summary>Where a glyph's centre sits: triangles carry theirs at the incentre, not the box centre.</summary>
    public static (double CenterY, double Scale) GlyphFrame(SignShape shape) => shape switch
    {
        SignShape.Triangle => (0.2, 0.42),
        SignShape.InvertedTriangle => (-0.2, 0.42),
        SignShape.Diamond => (0, 0.5),
        _ => (0, 0.72),
    };

    static double ConvexDepth((double X, double Y)[] polygon, double x, double y)
    {
        double depth = double.MaxValue;
        for (int i = 0; i < polygon.Length; i++)
        {
            var a = polygon[i];
            var b = polygon[(i + 1) % polygon.Length];
            double ex = b.X - a.X, ey = b.Y - a.Y, length = Math.Sqrt(ex * ex + ey * ey);
            // The inward normal: the polygons above wind clockwise in y-down coordinates, so it is (-ey, ex).
            double nx = -ey / length, ny = ex / length;
            // Orient by the centre, which lies inside every outline, so winding order does not matter.
            if (-a.X * nx - a.Y * ny < 0) { nx = -nx; ny = -ny; }
            depth = Math.Min(depth, (x - a.X) * nx + (y - a.Y) * ny);
        }
        return depth;
    }
}
