namespace Maskbench.Reports;

/// <summary>
/// The published numbers of the paper's Table 4 (percent): natural and PGD accuracy of VGG-19 trained naturally (N)
/// or adversarially (A) on plain or foreground-masked images, for MS-COCO-IC and GTSRB-IC.
/// </summary>
public static class PaperTable4
{
    public const string Coco = "MS-COCO-IC";
    public const string Gtsrb = "GTSRB-IC";

    static readonly Dictionary<(string Dataset, string Training, string Input), (double Natural, double Pgd)> Values = new()
    {
        [(Coco, "natural", "plain")] = (79.46, 2.28),
        [(Coco, "natural", "masked")] = (81.64, 3.01),
        [(Coco, "adversarial", "plain")] = (61.51, 30.80),
        [(Coco, "adversarial", "masked")] = (72.92, 53.62),
        [(Gtsrb, "natural", "plain")] = (98.04, 18.69),
        [(Gtsrb, "natural", "masked")] = (98.04, 38.38),
        [(Gtsrb, "adversarial", "plain")] = (89.54, 55.25),
        [(Gtsrb, "adversarial", "masked")] = (91.20, 64.57),
    };

    /// <summary>The paper's name for a dataset of ours, from its manifest name; null when the paper has no such dataset.</summary>
    public static string? PaperNameOf(string datasetName)
    {
        string n = datasetName.ToLowerInvariant();
        if (n.Contains("gtsrb")) return Gtsrb;
        if (n.Contains("coco")) return Coco;
        return null;
    }

    public static (double Natural, double Pgd)? Lookup(string? paperDataset, string training, string input) =>
        paperDataset is not null && Values.TryGetValue((paperDataset, training, input), out var v) ? v : null;
}
