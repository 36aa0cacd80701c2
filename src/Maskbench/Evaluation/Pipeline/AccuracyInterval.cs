namespace Maskbench.Evaluation.Pipeline;

/// <summary>
/// An accuracy (k of n correct) with its count and 95% Wilson score interval (Wilson 1927), which stays inside [0,1] and is
/// sensible at 0 and n, unlike the normal approximation.
/// </summary>
public sealed record AccuracyInterval(int Correct, int Count, double Low, double High)
{
    const double Z = 1.959963984540054;

    public double Accuracy => Count == 0 ? double.NaN : (double)Correct / Count;

    public static AccuracyInterval Of(int correct, int count)
    {
        if (count < 0 || correct < 0 || correct > count) throw new ArgumentOutOfRangeException(nameof(correct), $"{correct} of {count}");
        if (count == 0) return new AccuracyInterval(0, 0, double.NaN, double.NaN);
        double p = (double)correct / count, z2 = Z * Z;
        double centre = (p + z2 / (2 * count)) / (1 + z2 / count);
        double half = Z / (1 + z2 / count) * Math.Sqrt(p * (1 - p) / count + z2 / (4.0 * count * count));
        return new AccuracyInterval(correct, count, Math.Max(0, centre - half), Math.Min(1, centre + half));
    }

    /// <summary>"81.5% [76.0, 86.1]" (percent, one decimal).</summary>
    public override string ToString() => Count == 0 ? "n/a" : $"{100 * Accuracy:F1}% [{100 * Low:F1}, {100 * High:F1}]";
}
