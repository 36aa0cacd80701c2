using Maskbench.Masks.Sources;
using Maskbench.Attacks;
using Maskbench.Masks;
using System.Globalization;

namespace Maskbench.Reports;

/// <summary>
/// What the report says, built from results.json alone: the scale note, Table 4 beside the paper, the strong
/// suite, the ε sweep, the controls, Table 1 counts, training curves and image grids. Numbers are printed exactly as
/// stored (percent, two decimals); a missing cell prints as "n/a".
/// </summary>
public static class ReportContent
{
    public const string Missing = "n/a";

    /// <param name="imagesRoot">The folder the results' relative image paths start from (results.json's folder).</param>
    public static List<ReportBlock> Build(ExperimentResults r, string imagesRoot)
    {
        var blocks = new List<ReportBlock>();
        string title = r.Dataset.PaperName ?? r.Dataset.Name;
        blocks.Add(new HeadingBlock(1, $"Foreground attention masks and adversarial robustness: {title}"));
        blocks.Add(new ParagraphBlock($"Scale: {r.ScaleNote}"));
        blocks.Add(new ParagraphBlock($"Dataset '{r.Dataset.Name}' (manifest hash {r.Dataset.Sha256}); profile '{r.Profile.Name}': {r.Profile.Arch}, "
            + $"width x{P(r.Profile.Width)}, "
            + $"{r.Profile.Epochs} epochs; PGD: L∞, ε = {P(r.Profile.PgdEpsilon255)}/{r.Profile.EpsilonDenominator}, step "
            + $"{P(r.Profile.PgdStepSize255)}/{r.Profile.EpsilonDenominator}, {r.Profile.PgdSteps} steps."));
        foreach (string warning in r.Warnings) blocks.Add(new ParagraphBlock($"Warning: {warning}"));
        blocks.Add(new TableBlock(["setting", "value"], r.Profile.Settings.Select(x => Row(x.Name, x.Value)).ToList()));
        blocks.Add(new ParagraphBlock($"Every accuracy is followed by its {I(r.IntervalConfidencePercent)}% Wilson interval over the test images "
            + "evaluated, in brackets."));
        if (r.Kernels is { } kernels)
            blocks.Add(new ParagraphBlock($"Kernels: {kernels.Summary}; machine: {kernels.Machine}."));
        if (r.MissingCells.Count > 0)
            blocks.Add(new ParagraphBlock($"Incomplete: {r.MissingCells.Count} cells have no result yet "
                + $"({string.Join(", ", r.MissingCells.Take(8))}{(r.MissingCells.Count > 8 ? ", ..." : "")}); their numbers show as {Missing}."));

        blocks.Add(new HeadingBlock(2, "Table 4: natural and PGD accuracy (%), ours beside the paper's"));
        blocks.Add(new ParagraphBlock(r.Dataset.PaperName is null
            ? "The paper has no numbers for this dataset; only ours are shown."
            : $"Paper: Table 4, {r.Dataset.PaperName} columns. Difference = ours − paper, in percentage points."));
        bool seeds = r.Table4.Any(t => t.Seeds >= 2);
        blocks.Add(new ParagraphBlock((seeds ? "With several seeds, ours is their mean (± sd across seeds), and the difference is the mean's. " : "")
            + "A difference is beyond noise when it is larger than the larger of the Wilson interval's half-width and twice the sd across seeds. "
            + "A model that failed to train (natural accuracy below twice chance or below half of the best model's) gives no verdict."));
        blocks.Add(new TableBlock(
            ["model", "natural", .. (seeds ? new[] { "mean ± sd" } : []), "paper natural", "difference", "vs noise",
             "PGD", .. (seeds ? new[] { "mean ± sd" } : []), "paper PGD", "difference", "vs noise"],
            r.Table4.Select(t => Row([t.Row, F(t.Natural, t.NaturalInterval), .. (seeds ? new[] { MeanSd(t.NaturalMean, t.NaturalSd, t.Seeds) } : []),
                F(t.PaperNatural), D(t.NaturalDifference), Verdict(t.NaturalVerdict, t.NaturalNoise),
                F(t.Pgd, t.PgdInterval), .. (seeds ? new[] { MeanSd(t.PgdMean, t.PgdSd, t.Seeds) } : []),
                F(t.PaperPgd), D(t.PgdDifference), Verdict(t.PgdVerdict, t.PgdNoise)])).ToList()));

        blocks.Add(new HeadingBlock(2, "Strong suite: worst case per example"));
        blocks.Add(new ParagraphBlock($"An example counts as robust only if the paper's PGD and every attack of the suite (PGD with restarts, "
            + $"{string.Join(", ", AttackRegistry.GridSuite.Select(a => a.Title))}) fail on it. "
            + "The suite column can never exceed the PGD column; where it is much lower, PGD alone overstated robustness."));
        string[] suite = ["pgd-restarts", .. AttackRegistry.GridSuite.Select(a => a.Name)];
        var attackNames = r.Models.SelectMany(m => m.Attacks.Keys).Where(suite.Contains).Distinct().ToList();
        var strongRows = r.Models.Where(m => m.Strong is not null || m.Attacks.Keys.Any(attackNames.Contains))
            .Select(m => Row([m.Id, F(m.Natural, m.NaturalInterval), F(m.Pgd, m.PgdInterval),
                .. attackNames.Select(a => F(m.Attacks.TryGetValue(a, out var v) ? v : null, m.AttackIntervals.GetValueOrDefault(a))),
                F(m.Strong, m.StrongInterval)])).ToList();
        if (strongRows.Count > 0) blocks.Add(new TableBlock(["model", "natural", "PGD", .. attackNames, "worst case"], strongRows));
        else blocks.Add(new ParagraphBlock(NotRun("the strong suite")));

        var sweepModels = r.Models.Where(m => m.Sweep.Count > 0).ToList();
        if (sweepModels.Count > 0)
        {
            blocks.Add(new HeadingBlock(2, "Accuracy against ε (PGD)"));
            blocks.Add(new ParagraphBlock("An example counts as robust at a budget only if PGD failed at that budget and at every smaller one "
                + "(an adversarial example within a smaller ball lies within the larger ones too)."));
            var eps = sweepModels.SelectMany(m => m.Sweep.Select(s => s.Epsilon255)).Distinct().Order().ToList();
            blocks.Add(new TableBlock(["model", .. eps.Select(e => $"ε={P(e)}/{r.Profile.EpsilonDenominator}")],
                sweepModels.Select(m => Row([m.Id, .. eps.Select(e =>
                    m.Sweep.FirstOrDefault(s => s.Epsilon255 == e) is { } p ? F(p.Accuracy, p.Interval) : Missing)])).ToList()));
            AddFigure(blocks, "PGD accuracy against ε", "sweep.png", ReportCharts.Sweep(r));
        }

        blocks.Add(new HeadingBlock(2, "Control (a): random masks with the same pixel count"));
        blocks.Add(new ParagraphBlock("Random-mask models see exactly as many pixels per image as the true foreground mask, at random places. "
            + "If they gain as much robustness as masked models, the gain comes from fewer input dimensions (Simon-Gabriel et al.), not from "
            + "removing the background."));
        if (r.RandomMaskControl.Count > 0)
            blocks.Add(new TableBlock(["training", "plain natural", "plain PGD", "masked natural", "masked PGD", "random-mask natural",
                "random-mask PGD"],
                r.RandomMaskControl.Select(c => Row(c.Training, F(c.PlainNatural, c.PlainNaturalInterval), F(c.PlainPgd, c.PlainPgdInterval),
                    F(c.MaskedNatural, c.MaskedNaturalInterval), F(c.MaskedPgd, c.MaskedPgdInterval),
                    F(c.RandomMaskNatural, c.RandomMaskNaturalInterval), F(c.RandomMaskPgd, c.RandomMaskPgdInterval))).ToList()));
        else blocks.Add(new ParagraphBlock(NotRun("the random-mask models")));

        blocks.Add(new HeadingBlock(2, "Control (b): masked models under the full-image threat"));
        blocks.Add(new ParagraphBlock("The paper lets the adversary touch only the foreground. Here it may also change the background, which the "
            + "masked model multiplies by zero; "
            + "equal numbers confirm that the mask is part of the model and the background is truly ignored."));
        if (r.FullImageThreat.Count > 0)
            blocks.Add(new TableBlock(["model", "PGD, foreground only", "PGD, full image"],
                r.FullImageThreat.Select(t => Row(t.Model, F(t.ForegroundOnly, t.ForegroundOnlyInterval), F(t.FullImage, t.FullImageInterval)))
                    .ToList()));
        else blocks.Add(new ParagraphBlock(NotRun("the full-image evaluations")));

        blocks.Add(new HeadingBlock(2, "Control (c): robustness against foreground fraction"));
        var edges = r.ForegroundBinEdges;
        string BinName(BinAccuracy b) => $"{b.Low}–{b.High}%";
        if (r.ForegroundBins.Count > 0)
        {
            var header = r.ForegroundBins[0].Bins.Select(BinName).ToList();
            blocks.Add(new ParagraphBlock("PGD accuracy (%) by the share of the image that is foreground; in brackets the number of test images in "
                + "the bin."));
            blocks.Add(new TableBlock(["model", .. header], r.ForegroundBins.Select(b => Row([b.Model, .. b.Bins.Select(Cell)])).ToList()));
            AddFigure(blocks, "PGD accuracy against foreground fraction", "foreground.png", ReportCharts.Foreground(r));
            // Per class for the models masked by the dataset's foreground (the paper's masked models).
            foreach (var model in r.ForegroundBinsPerClass.Select(c => c.Model).Distinct()
                .Where(id => r.Models.Any(m => m.Id == id && m.Mask == MaskKind.GroundTruth)))
            {
                blocks.Add(new HeadingBlock(3, $"Per class: {model}"));
                blocks.Add(new TableBlock(["class", .. header],
                    r.ForegroundBinsPerClass.Where(c => c.Model == model).Select(c => Row([c.ClassName, .. c.Bins.Select(Cell)])).ToList()));
            }
        }

        blocks.Add(new HeadingBlock(2, "Table 1: images per class"));
        var splits = r.Dataset.CountsPerSplit.Keys.ToList();
        blocks.Add(new TableBlock(["class", .. splits],
            r.Dataset.ClassNames.Select((name, i) => Row([name, .. splits.Select(s => I(r.Dataset.CountsPerSplit[s].ElementAtOrDefault(i)))]))
                .Append(Row(["total", .. splits.Select(s => I(r.Dataset.TotalPerSplit.GetValueOrDefault(s)))])).ToList()));

        blocks.Add(new HeadingBlock(2, "Training"));
        blocks.Add(new TableBlock(["model", "training", "input", "test images", "training time (s)"],
            r.Models.Select(m => Row(m.Id, m.Training, m.Input, I(m.TestCount), P(m.TrainingSeconds))).ToList()));
        AddFigure(blocks, "Training loss", "training-loss.png", ReportCharts.Training(r, "loss", "Training loss"));
        string? accuracyField = r.Models.SelectMany(m => m.Curve.SelectMany(e => e.Keys))
            .FirstOrDefault(k => k.Contains("acc", StringComparison.OrdinalIgnoreCase));
        if (accuracyField is not null) AddFigure(blocks, $"Training {accuracyField}", "training-accuracy.png",
            ReportCharts.Training(r, accuracyField, $"Training: {accuracyField}"));

        var grids = r.Models.Where(m => m.ExamplesImage is not null && File.Exists(Path.Combine(imagesRoot, m.ExamplesImage))).ToList();
        if (grids.Count > 0)
        {
            blocks.Add(new HeadingBlock(2, "Examples: clean, mask, adversarial (paper's PGD), perturbation magnified"));
            foreach (var m in grids)
                AddFigure(blocks, $"{m.Id}", $"examples-{m.Id}.png", File.ReadAllBytes(Path.Combine(imagesRoot, m.ExamplesImage!)));
        }
        blocks.AddRange(PredictedMaskSection.Blocks(r, imagesRoot));
        return blocks;
    }

    static void AddFigure(List<ReportBlock> blocks, string caption, string file, byte[]? png)
    {
        if (png is not null) blocks.Add(new FigureBlock(caption, file, png));
    }

    static string Cell(BinAccuracy b) => b.Count == 0 ? "–" : $"{F(b.Pgd, b.PgdInterval)} ({b.Count})";
    /// <summary>An accuracy with its 95% interval: "94.00 [91.23, 96.01]".</summary>
    static string F(double? v, Interval? ci) => v is null ? Missing : ci is null ? F(v) : $"{F(v)} [{F(ci.Low)}, {F(ci.High)}]";
    static string MeanSd(double? mean, double? sd, int seeds) => mean is null ? Missing : $"{F(mean)} ± {F(sd)} ({I(seeds)} seeds)";
    static string Verdict(string? verdict, double? noise) => verdict is null ? Missing : verdict == "failed to train" ? verdict
        : $"{verdict} (±{F(noise)})";
    static IReadOnlyList<string> Row(params string[] cells) => cells;
    static string F(double? v) => v is double x ? x.ToString("F2", CultureInfo.InvariantCulture) : Missing;
    static string D(double? v) => v is double x ? (x >= 0 ? "+" : "−") + Math.Abs(x).ToString("F2", CultureInfo.InvariantCulture) : Missing;
    static string P(double v) => v.ToString("0.####", CultureInfo.InvariantCulture);
    static string I(int v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>The line that stands for a section whose cells this run did not compute.</summary>
    static string NotRun(string what) =>
        $"Not run: this run has no results for {what} (the profile's settings above say what it ran).";
}
