using System.Text.Json;
using Maskbench.Files;

namespace Maskbench.Training;

/// <summary>
/// One line of metrics.jsonl. Accuracies are fractions in [0,1]; the validation adversary is L∞ PGD. Validation
/// accuracies are "NaN" when the run has no validation slice (--val 0).
/// </summary>
public sealed record EpochMetrics
{
    public int Epoch { get; init; }
    public double LearningRate { get; init; }
    public double TrainLoss { get; init; }
    public double TrainAccuracy { get; init; }
    public double ValidationNaturalAccuracy { get; init; }
    public double ValidationPgdAccuracy { get; init; }
    public int TrainImages { get; init; }
    /// <summary>
    /// Wall-clock time of the epoch; the one field that differs between repeated runs, so checkpoints leave it out (0, not written).
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public double Seconds { get; init; }
    public bool Best { get; init; }

    // NaN stands for "not measured" (no validation slice), written as the JSON string "NaN".
    static JsonSerializerOptions Compact => JsonFormat.Lines;

    /// <summary>These metrics without the wall-clock time: what a checkpoint stores, so that equal runs give equal files.</summary>
    public EpochMetrics WithoutTiming() => this with { Seconds = 0 };

    public string ToJsonLine() => JsonSerializer.Serialize(this, Compact);
    public static EpochMetrics Parse(string line) => JsonSerializer.Deserialize<EpochMetrics>(line, Compact)
        ?? throw new MaskbenchException("empty metrics line");
}
