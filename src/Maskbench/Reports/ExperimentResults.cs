using Maskbench.Masks.Sources;
using System.Text.Json;
using System.Text.Json.Serialization;
using Maskbench.Files;

namespace Maskbench.Reports;

/// <summary>
/// results.json: everything the report shows, already computed and rounded as it is printed (accuracies in percent
/// with two decimals). The report is rendered from this file alone, so every number in it can be traced here.
/// </summary>
public sealed class ExperimentResults
{
    public string Schema { get; set; } = "maskbench-results/2";
    public required DatasetSummary Dataset { get; set; }
    public required ProfileSummary Profile { get; set; }
    /// <summary>What scale these numbers were measured at, in words (printed at the top of the report).</summary>
    public required string ScaleNote { get; set; }
    /// <summary>Cells of the plan without a result (the report marks their numbers as missing).</summary>
    public List<string> MissingCells { get; set; } = [];
    /// <summary>Models whose numbers support no conclusion (failed to train), each a sentence the report prints first.</summary>
    public List<string> Warnings { get; set; } = [];
    public List<ModelResults> Models { get; set; } = [];
    public List<Table4Row> Table4 { get; set; } = [];
    public List<RandomMaskRow> RandomMaskControl { get; set; } = [];
    public List<ThreatRow> FullImageThreat { get; set; } = [];
    public List<ForegroundBinRow> ForegroundBins { get; set; } = [];
    public List<ClassForegroundRow> ForegroundBinsPerClass { get; set; } = [];
    /// <summary>Bin edges of the foreground fraction, in percent of the image.</summary>
    public List<int> ForegroundBinEdges { get; set; } = [];
    /// <summary>The confidence level of every interval, in percent (Wilson, z = Φ⁻¹(0.975)).</summary>
    public int IntervalConfidencePercent { get; set; } = 95;
    public List<CellSummary> Cells { get; set; } = [];
    /// <summary>How the cells' convolutions were computed (kernel verdicts against float64, routes), merged over cells.</summary>
    public Kernels.KernelProvenance? Kernels { get; set; }
    /// <summary>The learned-mask pipeline beside the oracle-mask and unmasked models (null when not run).</summary>
    public PredictedMaskResults? PredictedMasks { get; set; }

    static JsonSerializerOptions Json => JsonFormat.Options;

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static ExperimentResults Load(string path)
    {
        if (!File.Exists(path)) throw new MaskbenchException($"{path}: results file does not exist");
        try
        {
            return JsonSerializer.Deserialize<ExperimentResults>(File.ReadAllText(path), Json)
                ?? throw new DataFormatException(path, "empty results");
        }
        catch (JsonException e)
        {
            throw new DataFormatException(path, $"not a maskbench results.json: {e.Message}", e.LineNumber is long l ? $"line {l + 1}" : null, e);
        }
    }
}

public sealed class DatasetSummary
{
    public required string Name { get; set; }
    /// <summary>The paper's name for it (GTSRB-IC, MS-COCO-IC) when it is one of the paper's datasets.</summary>
    public string? PaperName { get; set; }
    public required string Sha256 { get; set; }
    public List<string> ClassNames { get; set; } = [];
    /// <summary>Table 1: images per class per split.</summary>
    public Dictionary<string, List<int>> CountsPerSplit { get; set; } = [];
    /// <summary>Table 1's total row: images per split.</summary>
    public Dictionary<string, int> TotalPerSplit { get; set; } = [];
    public int ImageSize { get; set; }
}

public sealed class ProfileSummary
{
    public required string Name { get; set; }
    public required string Arch { get; set; }
    public double Width { get; set; }
    public int Epochs { get; set; }
    public int TrainLimit { get; set; }
    public int TestLimit { get; set; }
    public int PgdSteps { get; set; }
    /// <summary>Budgets are given in units of 1/<see cref="EpsilonDenominator"/> of the pixel range [0, 1].</summary>
    public int EpsilonDenominator { get; set; } = 255;
    public double PgdEpsilon255 { get; set; }
    public double PgdStepSize255 { get; set; }
    public int AdversarialTrainingSteps { get; set; }
    public List<int> SweepEpsilons255 { get; set; } = [];
    public int BatchSize { get; set; }
    public double LearningRate { get; set; }
    public string Schedule { get; set; } = "";
    public int Restarts { get; set; }
    public string Precision { get; set; } = "";
    public int Seeds { get; set; } = 1;
    public int Seed { get; set; }
    /// <summary>Every resolved setting in words, as <c>reproduce --print-plan</c> prints them.</summary>
    public List<ProfileSetting> Settings { get; set; } = [];
}

public sealed record ProfileSetting(string Name, string Value);

/// <summary>A 95% confidence interval of an accuracy, in percent (Wilson over the test images evaluated).</summary>
public sealed record Interval(double Low, double High);

public sealed class ModelResults
{
    public required string Id { get; set; }
    public required string Training { get; set; }
    public required string Input { get; set; }
    /// <summary>The kind of mask the model's input is multiplied by (what <see cref="Input"/> names).</summary>
    public Masks.MaskKind Mask { get; set; }
    /// <summary>The training seed; models with the same training and input but another seed are <c>--seeds</c> replicas.</summary>
    public int Seed { get; set; }
    public bool Replica { get; set; }
    public double? Natural { get; set; }
    public Interval? NaturalInterval { get; set; }
    public double? Pgd { get; set; }
    public Interval? PgdInterval { get; set; }
    /// <summary>Worst case per example over the paper's PGD and the strong suite's attacks.</summary>
    public double? Strong { get; set; }
    public Interval? StrongInterval { get; set; }
    /// <summary>Accuracy (percent) under each attack evaluated, by cell name.</summary>
    public Dictionary<string, double> Attacks { get; set; } = [];
    public Dictionary<string, Interval> AttackIntervals { get; set; } = [];
    public List<SweepPoint> Sweep { get; set; } = [];
    public int TestCount { get; set; }
    public double TrainingSeconds { get; set; }
    public List<Dictionary<string, double>> Curve { get; set; } = [];
    /// <summary>Image grid of the paper's PGD (relative to results.json).</summary>
    public string? ExamplesImage { get; set; }
}

public sealed record SweepPoint(double Epsilon255, double Accuracy, Interval? Interval = null);

public sealed class Table4Row
{
    public required string Row { get; set; }
    public required string Training { get; set; }
    public required string Input { get; set; }
    public double? Natural { get; set; }
    public Interval? NaturalInterval { get; set; }
    public double? Pgd { get; set; }
    public Interval? PgdInterval { get; set; }
    /// <summary>Seeds with results (<c>--seeds</c>); with two or more, mean and sample standard deviation across them.</summary>
    public int Seeds { get; set; }
    public double? NaturalMean { get; set; }
    public double? NaturalSd { get; set; }
    public double? PgdMean { get; set; }
    public double? PgdSd { get; set; }
    public double? PaperNatural { get; set; }
    public double? PaperPgd { get; set; }
    /// <summary>Ours (the mean over seeds where there are several) − paper, in percentage points.</summary>
    public double? NaturalDifference { get; set; }
    public double? PgdDifference { get; set; }
    /// <summary>The noise a difference is compared with: the larger of the Wilson half-width and 2 × the seed sd.</summary>
    public double? NaturalNoise { get; set; }
    public double? PgdNoise { get; set; }
    /// <summary>"beyond noise", "within noise", or "failed to train" (no conclusion); null without the paper's number.</summary>
    public string? NaturalVerdict { get; set; }
    public string? PgdVerdict { get; set; }
    /// <summary>Why this model's numbers support no conclusion; null when it trained.</summary>
    public string? TrainingFailed { get; set; }
}

public sealed class RandomMaskRow
{
    public required string Training { get; set; }
    public double? PlainNatural { get; set; }
    public double? PlainPgd { get; set; }
    public double? MaskedNatural { get; set; }
    public double? MaskedPgd { get; set; }
    public double? RandomMaskNatural { get; set; }
    public double? RandomMaskPgd { get; set; }
    public Interval? PlainNaturalInterval { get; set; }
    public Interval? PlainPgdInterval { get; set; }
    public Interval? MaskedNaturalInterval { get; set; }
    public Interval? MaskedPgdInterval { get; set; }
    public Interval? RandomMaskNaturalInterval { get; set; }
    public Interval? RandomMaskPgdInterval { get; set; }
}

public sealed class ThreatRow
{
    public required string Model { get; set; }
    public double? ForegroundOnly { get; set; }
    public double? FullImage { get; set; }
    public Interval? ForegroundOnlyInterval { get; set; }
    public Interval? FullImageInterval { get; set; }
}

public sealed class ForegroundBinRow
{
    public required string Model { get; set; }
    public List<BinAccuracy> Bins { get; set; } = [];
}

public sealed class ClassForegroundRow
{
    public required string Model { get; set; }
    public int ClassIndex { get; set; }
    public required string ClassName { get; set; }
    public List<BinAccuracy> Bins { get; set; } = [];
}

/// <summary>Examples whose foreground fraction lies in [Low, High) percent, and the accuracies on them.</summary>
public sealed record BinAccuracy(int Low, int High, int Count, double? Natural, double? Pgd, Interval? NaturalInterval = null,
    Interval? PgdInterval = null);

public sealed record CellSummary(string Id, string? Key, double Seconds);
