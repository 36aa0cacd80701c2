namespace Maskbench.Masks;

/// <summary>
/// Parameters of <see cref="GraphCutSegmenter"/>. Fractions of the "sign box" refer to the ROI when one is given and
/// otherwise to the image less <see cref="MarginFraction"/> on each side (GTSRB's border of about 10%).
/// </summary>
public sealed record SegmenterOptions
{
    /// <summary>Images whose longer side exceeds this are segmented at this size and the mask scaled back (0: never).</summary>
    public int WorkingSize { get; init; } = 48;

    /// <summary>4 or 8 neighbours per pixel in the graph.</summary>
    public int Connectivity { get; init; } = 8;

    /// <summary>Margin assumed around the sign when no ROI is given, as a fraction of width and height.</summary>
    public double MarginFraction { get; init; } = 0.1;

    /// <summary>
    /// Foreground seeds (hard constraints) drawn at random in the central ellipse of this radius (fraction of the box's half-extents).
    /// </summary>
    public int ForegroundSeedCount { get; init; } = 40;
    public double ForegroundSeedRadius { get; init; } = 0.25;

    /// <summary>The first foreground colour model is fitted on pixels of the central ellipse of this radius.</summary>
    public double ForegroundModelRadius { get; init; } = 0.8;

    /// <summary>
    /// Width of the image border taken as background seeds (hard constraints), as a fraction of the shorter side; at least one pixel.
    /// </summary>
    public double BorderFraction { get; init; } = 0.06;

    /// <summary>Gaussians per colour model, EM rounds per fit, and the variance added to covariance diagonals (in 0..255 units squared).</summary>
    public int Components { get; init; } = 5;
    public int EmIterations { get; init; } = 3;
    public double CovarianceRegularization { get; init; } = 9.0;

    /// <summary>At most this many pixels (drawn at random) fit each colour model.</summary>
    public int ColourSamples { get; init; } = 300;

    /// <summary>
    /// Weight of the contrast-sensitive smoothness term (GrabCut's gamma is 50; GTSRB's small, blurred signs cut better with less).
    /// </summary>
    public double Smoothness { get; init; } = 15.0;

    /// <summary>
    /// Location prior in nats: a pixel inside the ellipse inscribed in the sign box pays this much more for being
    /// background, a pixel outside it this much more for being foreground. GTSRB signs fill their ROI, and a dark rim on
    /// a dark background is otherwise cut away with the background.
    /// </summary>
    public double CentrePrior { get; init; } = 2.0;

    /// <summary>
    /// GrabCut-style rounds after the first cut: refit both colour models on the current labels, cut again. Off by
    /// default: on synthetic GTSRB a round changed mean IoU by less than 0.005 and halved the throughput.
    /// </summary>
    public int ReestimationRounds { get; init; } = 0;

    /// <summary>When a ROI is given: pixels outside it are background (hard constraints, and the final mask is clipped to it).</summary>
    public bool ForceBackgroundOutsideRoi { get; init; } = true;

    /// <summary>When a ROI is given and not forced: cost (in nats) added to labelling a pixel outside it as foreground.</summary>
    public double OutsideRoiCost { get; init; } = 5.0;

    /// <summary>Clean-up: keep only the largest 4-connected foreground component, and fill background holes inside it.</summary>
    public bool KeepLargestComponent { get; init; } = true;
    public bool FillHoles { get; init; } = true;

    public static SegmenterOptions Default { get; } = new();

    internal void Validate()
    {
        if (WorkingSize is < 0 or (> 0 and < 8)) throw new ArgumentOutOfRangeException(nameof(WorkingSize), "working size must be 0 or at least 8");
        if (Connectivity is not (4 or 8)) throw new ArgumentOutOfRangeException(nameof(Connectivity), "connectivity must be 4 or 8");
        if (MarginFraction is < 0 or >= 0.5) throw new ArgumentOutOfRangeException(nameof(MarginFraction), "margin must be in [0, 0.5)");
        if (ForegroundSeedCount < 1) throw new ArgumentOutOfRangeException(nameof(ForegroundSeedCount), "need at least one foreground seed");
        if (ForegroundSeedRadius is <= 0 or > 1 || ForegroundModelRadius is <= 0 or > 1.5)
            throw new ArgumentOutOfRangeException(nameof(ForegroundSeedRadius), "seed radius must be in (0, 1] and model radius in (0, 1.5]");
        if (BorderFraction is < 0 or >= 0.5) throw new ArgumentOutOfRangeException(nameof(BorderFraction), "border must be in [0, 0.5)");
        if (Components < 1 || EmIterations < 0 || CovarianceRegularization <= 0 || ColourSamples < 1)
            throw new ArgumentOutOfRangeException(nameof(Components), "colour model parameters out of range");
        if (Smoothness < 0 || CentrePrior < 0 || ReestimationRounds < 0 || !(OutsideRoiCost >= 0) || double.IsInfinity(OutsideRoiCost))
            throw new ArgumentOutOfRangeException(nameof(Smoothness), "smoothness, rounds and ROI cost must be non-negative");
    }
}
