namespace Maskbench.Data.Synthetic;

/// <summary>A 3x3 projective map of the plane (row-major), used to tilt signs in perspective.</summary>
public readonly struct Projective
{
    readonly double[] _m;

    Projective(double[] m) => _m = m;

    public static Projective Identity => new([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    public static Projective Translation(double tx, double ty) => new([1, 0, tx, 0, 1, ty, 0, 0, 1]);
    public static Projective Scale(double sx, double sy) => new([sx, 0, 0, 0, sy, 0, 0, 0, 1]);
    public static Projective Rotation(double radians) =>
        new([Math.Cos(radians), -Math.Sin(radians), 0, Math.Sin(radians), Math.Cos(radians), 0, 0, 0, 1]);
    public static Projective Shear(double kx) => new([1, kx, 0, 0, 1, 0, 0, 0, 1]);
    /// <summary>A pure perspective term: points with larger px*x + py*y shrink towards the origin.</summary>
    public static Projective Perspective(double px, double py) => new([1, 0, 0, 0, 1, 0, px, py, 1]);

    /// <summary>The map that applies <paramref name="second"/> after <paramref name="first"/>.</summary>
    public static Projective operator *(Projective second, Projective first)
    {
        var r = new double[9];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                r[i * 3 + j] = second._m[i * 3] * first._m[j] + second._m[i * 3 + 1] * first._m[3 + j] + second._m[i * 3 + 2] * first._m[6 + j];
        return new Projective(r);
    }

    public (double X, double Y) Apply(double x, double y)
    {
        double w = _m[6] * x + _m[7] * y + _m[8];
        return ((_m[0] * x + _m[1] * y + _m[2]) / w, (_m[3] * x + _m[4] * y + _m[5]) / w);
    }

    public Projective Inverse()
    {
        double[] m = _m;
        double a = m[4] * m[8] - m[5] * m[7], b = m[5] * m[6] - m[3] * m[8], c = m[3] * m[7] - m[4] * m[6];
        double det = m[0] * a + m[1] * b + m[2] * c;
        if (Math.Abs(det) < 1e-12) throw new InvalidOperationException("singular projective map");
        return new Projective(
        [
            a / det, (m[2] * m[7] - m[1] * m[8]) / det, (m[1] * m[5] - m[2] * m[4]) / det,
            b / det, (m[0] * m[8] - m[2] * m[6]) / det, (m[2] * m[3] - m[0] * m[5]) / det,
            c / det, (m[1] * m[6] - m[0] * m[7]) / det, (m[0] * m[4] - m[1] * m[3]) / det,
        ]);
    }
}
