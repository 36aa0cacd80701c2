using Maskbench.Evaluation;

namespace Maskbench.Tests.Evaluation;

public class WilsonIntervalTests
{
    /// <summary>
    /// Newcombe (1998), "Two-sided confidence intervals for the single proportion", Table I, method 3 (Wilson score, no continuity correction).
    /// </summary>
    [Theory]
    [InlineData(81, 263, 0.2553, 0.3662)]
    [InlineData(15, 148, 0.0624, 0.1605)]
    [InlineData(0, 20, 0.0000, 0.1611)]
    [InlineData(1, 29, 0.0061, 0.1718)]
    public void MatchesPublishedValues(int k, int n, double low, double high)
    {
        var w = WilsonInterval.Of(k, n);
        Assert.Equal(low, w.Low, 0.00006);
        Assert.Equal(high, w.High, 0.00006);
    }

    /// <summary>
    /// The definition, brute force: the interval is every p with |k/n − p| ≤ z √(p(1−p)/n). Scan p on a fine grid for the
    /// smallest and largest p that satisfy it, then bisect each edge; the closed form must agree to 1e-9.
    /// </summary>
    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(0, 200)]
    [InlineData(200, 200)]
    [InlineData(199, 200)]
    [InlineData(37, 2000)]
    [InlineData(1234, 12630)]
    public void AgreesWithTheDefinitionByBruteForce(int k, int n)
    {
        double z = WilsonInterval.Z95, phat = k / (double)n;
        bool Inside(double p) => (phat - p) * (phat - p) <= z * z * p * (1 - p) / n + 1e-15;
        const int grid = 200_000;
        int first = -1, last = -1;
        for (int i = 0; i <= grid; i++)
            if (Inside(i / (double)grid)) { if (first < 0) first = i; last = i; }
        double Edge(double outside, double inside)
        {
            for (int it = 0; it < 100; it++)
            {
                double mid = (outside + inside) / 2;
                if (Inside(mid)) inside = mid; else outside = mid;
            }
            return inside;
        }
        double low = first == 0 ? 0 : Edge((first - 1) / (double)grid, first / (double)grid);
        double high = last == grid ? 1 : Edge((last + 1) / (double)grid, last / (double)grid);
        var w = WilsonInterval.Of(k, n);
        Assert.Equal(low, w.Low, 1e-9);
        Assert.Equal(high, w.High, 1e-9);
        Assert.True(w.Contains(phat));
    }

    [Fact]
    public void RefusesImpossibleCounts()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => WilsonInterval.Of(1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => WilsonInterval.Of(5, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => WilsonInterval.Of(-1, 4));
    }
}
