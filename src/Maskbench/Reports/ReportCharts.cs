using ScottPlot;

namespace Maskbench.Reports;

/// <summary>The report's line charts (ScottPlot), drawn from results.json only, as PNG bytes.</summary>
public static class ReportCharts
{
    const int Width = 720, Height = 420;

    static Plot NewPlot()
    {
        ChartFonts.Ensure();
        var plot = new Plot();
        plot.Font.Set(ScottPlot.Fonts.Default);
        return plot;
    }

    /// <summary>Accuracy against ε (in 1/255) per model: the sweep.</summary>
    public static byte[]? Sweep(ExperimentResults results)
    {
        var models = results.Models.Where(m => m.Sweep.Count > 0).ToList();
        if (models.Count == 0) return null;
        var plot = NewPlot();
        foreach (var m in models)
        {
            var line = plot.Add.Scatter(m.Sweep.Select(s => s.Epsilon255).ToArray(), m.Sweep.Select(s => s.Accuracy).ToArray());
            line.LegendText = m.Id;
        }
        plot.Title("PGD accuracy against the budget");
        plot.XLabel("ε (× 1/255, L∞)");
        plot.YLabel("accuracy (%)");
        plot.Axes.SetLimitsY(0, 100);
        plot.ShowLegend(Alignment.UpperRight);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    /// <summary>One curve per model of a field of its training log (for example "loss").</summary>
    public static byte[]? Training(ExperimentResults results, string field, string title)
    {
        var models = results.Models.Where(m => m.Curve.Any(e => e.ContainsKey(field))).ToList();
        if (models.Count == 0) return null;
        var plot = NewPlot();
        foreach (var m in models)
        {
            var points = m.Curve.Select((e, i) => (X: e.TryGetValue("epoch", out double x) ? x : i + 1, Y: e.GetValueOrDefault(field, double.NaN)))
                .Where(p => !double.IsNaN(p.Y)).ToList();
            var line = plot.Add.Scatter(points.Select(p => p.X).ToArray(), points.Select(p => p.Y).ToArray());
            line.LegendText = m.Id;
        }
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel(field);
        plot.ShowLegend(Alignment.UpperRight);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    /// <summary>PGD accuracy against the foreground fraction (bin midpoints) per model: control (c).</summary>
    public static byte[]? Foreground(ExperimentResults results)
    {
        if (results.ForegroundBins.Count == 0) return null;
        var plot = NewPlot();
        foreach (var row in results.ForegroundBins)
        {
            var bins = row.Bins.Where(b => b.Pgd is not null).ToList();
            if (bins.Count == 0) continue;
            var line = plot.Add.Scatter(bins.Select(b => (b.Low + b.High) / 2.0).ToArray(), bins.Select(b => b.Pgd!.Value).ToArray());
            line.LegendText = row.Model;
        }
        plot.Title("PGD accuracy against the foreground fraction");
        plot.XLabel("foreground (% of the image, bin midpoint)");
        plot.YLabel("PGD accuracy (%)");
        plot.Axes.SetLimitsY(0, 100);
        plot.ShowLegend(Alignment.UpperRight);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }
}
