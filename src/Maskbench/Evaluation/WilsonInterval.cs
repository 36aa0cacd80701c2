namespace Maskbench.Evaluation;

/// <summary>
/// The Wilson score interval (Wilson 1927) for a proportion of <c>successes</c> out of <c>trials</c>: the set of true
/// proportions p for which the observed share lies within z standard errors, |k/n − p| ≤ z·√(p(1−p)/n). Unlike the
/// normal ("Wald") interval it stays inside [0, 1] and is not empty at 0 or n successes. Here it gives every accuracy
/// its 95% interval over the test images evaluated.
/// </summary>
public readonly record struct WilsonInterval(double Low, double High)
{
    /// <summary>z for a two-sided 95% interval: Φ⁻¹(0.975).</summary>
    public const double Z95 = 1.959963984540054;

    public static WilsonInterval Of(int successes, int trials, double z = Z95)
    {
        if (trials <= 0) throw new ArgumentOutOfRangeException(nameof(trials), trials, "a proportion needs at least one trial");
        if (successes < 0 || successes > trials) throw new ArgumentOutOfRangeException(nameof(successes), successes, $"must be in [0, {trials}]");
        double n = trials, p = successes / n, z2 = z * z;
        double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        double half = z / (1 + z2 / n) * Math.Sqrt(p * (1 - p) / n + z2 / (4 * n * n));
        // The bounds are exactly 0 and 1 at the extremes; rounding must not push them past.
        return new WilsonInterval(successes == 0 ? 0 : Math.Max(0, centre - half), successes == trials ? 1 : Math.Min(1, centre + half));
    }

    public bool Contains(double proportion) => proportion >= Low && proportion <= High;
}
