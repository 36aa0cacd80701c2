using System.Globalization;

namespace Maskbench.Reports;

/// <summary>
/// results.json's predicted-mask comparison: for natural (N) and adversarial (A) training, the unmasked baseline, the
/// oracle-mask upper bound and the learned-mask pipeline side by side, accuracies in percent with 95% intervals.
/// </summary>
public sealed class PredictedMaskResults
{
    /// <summary>How rows and pipelines with a classifier trained on the masker's predictions (the grid's predicted-mask models) are named.</summary>
    public const string TrainedOnPredictions = "trained on predicted masks";

    public required string Masker { get; set; }
    /// <summary>Test IoU of the masker's thresholded mask against the dataset's masks (mean and 95% interval).</summary>
    public required double[] MaskerIoU { get; set; }
    public required string Threat { get; set; }
    public List<PredictedMaskRow> Rows { get; set; } = [];
    /// <summary>Per pipeline and attack: accuracy and the mean IoU of attacked against clean predicted masks.</summary>
    public List<PipelineAttackRow> Attacks { get; set; } = [];
    /// <summary>Image grids (relative to results.json) per pipeline: clean image, clean mask, attacked mask, perturbation.</summary>
    public Dictionary<string, string> ExampleImages { get; set; } = [];
}

/// <summary>An accuracy in percent with its 95% interval (Wilson), or nulls where it was not measured.</summary>
public sealed record PercentInterval(double Value, double Low, double High)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Value:F1} [{Low:F1}, {High:F1}]");
}

public sealed class PredictedMaskRow
{
    /// <summary>"N" or "A".</summary>
    public required string Training { get; set; }
    /// <summary>
    /// plain (no mask), oracle mask (the dataset's), predicted mask (the pipeline with the oracle-mask classifier), or
    /// predicted mask with a classifier trained on the masker's predictions.
    /// </summary>
    public required string Mask { get; set; }
    public PercentInterval? Natural { get; set; }
    /// <summary>The paper's PGD (foreground threat) for plain and oracle rows; the worst case over all adaptive attacks for the pipeline.</summary>
    public PercentInterval? Robust { get; set; }
    /// <summary>Mean IoU of the predicted mask at the deciding adversarial input against the clean prediction (pipeline rows).</summary>
    public double? MaskIoUUnderAttack { get; set; }
    public int TestCount { get; set; }
}

public sealed class PipelineAttackRow
{
    /// <summary>The pipeline: "N" or "A" (oracle-mask classifier), or with the suffix of a classifier trained on predicted masks.</summary>
    public required string Training { get; set; }
    public required string Attack { get; set; }
    public required PercentInterval Robust { get; set; }
    public double MaskIoU { get; set; }
}

/// <summary>The report's blocks for <see cref="PredictedMaskResults"/> (none when the results have no such section).</summary>
public static class PredictedMaskSection
{
    public static IEnumerable<ReportBlock> Blocks(ExperimentResults r, string imagesRoot)
    {
        if (r.PredictedMasks is not { } p) yield break;
        yield return new HeadingBlock(2, "Masks without an oracle: learned masks under adaptive attack");
        yield return new ParagraphBlock($"Masker: {p.Masker}; test IoU against the dataset's masks {p.MaskerIoU[0]:F3} [{p.MaskerIoU[1]:F3}, "
            + $"{p.MaskerIoU[2]:F3}]. "
            + "Pipeline: image → predicted mask (thresholded at 0.5) → masked image → a classifier: the oracle-mask model's, or, in rows "
            + $"\"{PredictedMaskResults.TrainedOnPredictions}\", one trained on this masker's predictions. {p.Threat} "
            + "Accuracies in % with 95% Wilson intervals; robust accuracy of the pipeline is the worst case per example over every attack below.");
        yield return new TableBlock(["training", "mask", "natural", "robust", "mask IoU under attack", "n"],
            p.Rows.Select(row => (IReadOnlyList<string>)[row.Training, row.Mask, row.Natural?.ToString() ?? "–", row.Robust?.ToString() ?? "–",
                row.MaskIoUUnderAttack is double iou ? iou.ToString("F3", CultureInfo.InvariantCulture) : "–",
                row.TestCount.ToString(CultureInfo.InvariantCulture)]).ToList());
        yield return new TableBlock(["pipeline", "attack", "accuracy", "mask IoU (attacked vs clean)"],
            p.Attacks.Select(a => (IReadOnlyList<string>)[a.Training, a.Attack, a.Robust.ToString(),
                a.MaskIoU.ToString("F3", CultureInfo.InvariantCulture)]).ToList());
        foreach (var (training, image) in p.ExampleImages.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            string path = Path.Combine(imagesRoot, image);
            if (File.Exists(path))
                yield return new FigureBlock($"{training} pipeline: clean image, clean predicted mask, attacked predicted mask, perturbation "
                    + "magnified",
                    $"predicted-masks-{training.Replace(' ', '-')}.png", File.ReadAllBytes(path));
        }
    }
}
