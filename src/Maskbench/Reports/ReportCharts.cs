using ScottPlot;

namespace Maskbench.Reports;

/// <summary>The report's line charts (ScottPlot), drawn from results.json only, as PNG bytes.</summary>
public static class ReportCharts
{
    const int Width = 720, Height = 420;

    /// <summary>One labelled line of a chart.</summary>
    sealed record Series(string Label, double[] X, double[] Y);

    /// <summary>Accuracy against ε (in 1/255) per model: the sweep.</summary>
    public static byte[]? Sweep(ExperimentResults results) =>
        Lines(results.Models.Where(m => m.Sweep.Count > 0)
                .Select(m => new Series(m.Id, m.Sweep.Select(s => s.Epsilon255).ToArray(), m.Sweep.Select(s => s.Accuracy).ToArray())),
            "PGD accuracy against the budget", "ε (× 1/255, L∞)", "accuracy (%)", percent: true);

    /// <summary>One curve per model of a field of its training log (for example "loss").</summary>
    public static byte[]? Training(ExperimentResults results, string field, string title) =>
        Lines(results.Models.Where(m => m.Curve.Any(e => e.ContainsKey(field))).Select(m =>
            {
                var points = m.Curve.Select((e, i) => (X: e.TryGetValue("epoch", out double x) ? x : i + 1,
                    Y: e.GetValueOrDefault(field, double.NaN)))
                    .Where(p => !double.IsNaN(p.Y)).ToList();
                return new Series(m.Id, points.Select(p => p.X).ToArray(), points.Select(p => p.Y).ToArray());
            }),
            title, "epoch", field, percent: false, integerX: true);

    /// <summary>PGD accuracy against the foreground fraction (bin midpoints) per model: control (c).</summary>
    public static byte[]? Foreground(ExperimentResults results) =>
        Lines(results.ForegroundBins
                .Select(row => (row.Model, Bins: row.Bins.Where(b => b.Pgd is not null).ToList()))
                .Where(r => r.Bins.Count > 0)
                .Select(r => new Series(r.Model, r.Bins.Select(b => (b.Low + b.High) / 2.0).ToArray(), r.Bins.Select(b => b.Pgd!.Value).ToArray())),
            "PGD accuracy against the foreground fraction", "foreground (% of the image, bin midpoint)", "PGD accuracy (%)", percent: true);

    /// <summary>A line chart of the series, or null when there is none; percentages get a 0–100 axis.</summary>
    static byte[]? Lines(IEnumerable<Series> series, string title, string xLabel, string yLabel, bool percent, bool integerX = false)
    {
        var list = series.ToList();
        if (list.Count == 0) return null;
        ChartFonts.Ensure();
        var plot = new Plot();
        plot.Font.Set(ScottPlot.Fonts.Default);
        foreach (var s in list) plot.Add.Scatter(s.X, s.Y).LegendText = s.Label;
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        if (percent) plot.Axes.SetLimitsY(0, 100);
        if (integerX) plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.ShowLegend(Alignment.UpperRight);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }
}
