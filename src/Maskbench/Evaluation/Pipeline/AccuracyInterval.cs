namespace Maskbench.Evaluation.Pipeline;

/// <summary>
/// An accuracy (k of n correct) with its count and 95% Wilson score interval (<see cref="WilsonInterval"/>).
/// </summary>
public sealed record AccuracyInterval(int Correct, int Count, double Low, double High)
{
    public double Accuracy => Count == 0 ? double.NaN : (double)Correct / Count;

    public static AccuracyInterval Of(int correct, int count)
    {
        if (count < 0 || correct < 0 || correct > count) throw new ArgumentOutOfRangeException(nameof(correct), $"{correct} of {count}");
        if (count == 0) return new AccuracyInterval(0, 0, double.NaN, double.NaN);
        var interval = WilsonInterval.Of(correct, count);
        return new AccuracyInterval(correct, count, interval.Low, interval.High);
    }

    /// <summary>"81.5% [76.0, 86.1]" (percent, one decimal).</summary>
    public override string ToString() => Count == 0 ? "n/a" : $"{100 * Accuracy:F1}% [{100 * Low:F1}, {100 * High:F1}]";
}
