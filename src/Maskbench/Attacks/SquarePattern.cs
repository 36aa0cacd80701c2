namespace Maskbench.Attacks;

/// <summary>
/// The s×s update of the L2 Square Attack (Andriushchenko et al. 2020, section 3.2): two halves of opposite sign, each
/// a stack of concentric rectangles around the half's centre with weight 1/(k+1)² for the k-th ring outward, so that
/// the mass sits in the middle of each half like a pair of Gaussian bumps; unit L2 norm; transposed on request (the
/// attack flips a coin), so that the halves lie side by side instead of one above the other.
/// </summary>
public static class SquarePattern
{
    /// <summary>Row-major s×s values.</summary>
    public static float[] Create(int s, bool transpose)
    {
        if (s < 1) throw new ArgumentOutOfRangeException(nameof(s), s, "window side must be at least 1");
        var values = new double[s * s];
        int upper = s / 2;
        AddRings(values, s, firstRow: 0, rows: upper, sign: 1);
        AddRings(values, s, firstRow: upper, rows: s - upper, sign: -1);
        double norm = Math.Sqrt(values.Sum(v => v * v));
        var result = new float[s * s];
        for (int r = 0; r < s; r++)
            for (int c = 0; c < s; c++)
                result[transpose ? c * s + r : r * s + c] = (float)(values[r * s + c] / norm);
        return result;
    }

    /// <summary>
    /// Rings around the centre (rows/2, s/2) of a rows×s block starting at <paramref name="firstRow"/>: ring k covers the
    /// (2k+1)-wide square centred there, clipped to the block, and adds 1/(k+1)² to every cell it covers.
    /// The block is normalized to unit L2 norm before it is added, so both halves weigh the same.
    /// </summary>
    static void AddRings(double[] values, int s, int firstRow, int rows, int sign)
    {
        if (rows == 0) return;
        var block = new double[rows * s];
        int centreRow = rows / 2, centreColumn = s / 2;
        int rings = Math.Max(centreRow, centreColumn) + 1;
        for (int k = 0; k < rings; k++)
        {
            double weight = 1.0 / ((k + 1) * (k + 1));
            int top = Math.Max(0, centreRow - k), bottom = Math.Min(rows, centreRow + k + 1);
            int left = Math.Max(0, centreColumn - k), right = Math.Min(s, centreColumn + k + 1);
            for (int r = top; r < bottom; r++)
                for (int c = left; c < right; c++) block[r * s + c] += weight;
        }
        double norm = Math.Sqrt(block.Sum(v => v * v));
        for (int i = 0; i < block.Length; i++) values[firstRow * s + i] = sign * block[i] / norm;
    }
}
