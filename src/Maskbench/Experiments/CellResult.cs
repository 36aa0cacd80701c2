namespace Maskbench.Experiments;

/// <summary>The record of one finished cell, stored as <c>cells/&lt;key&gt;.json</c>.</summary>
public sealed class CellResult
{
    public required string Key { get; init; }
    public required string Id { get; init; }
    public required string Kind { get; init; }
    public required SortedDictionary<string, string> Parameters { get; init; }
    public required SortedDictionary<string, string> Inputs { get; init; }
    public double Seconds { get; init; }
    public TrainingRecord? Training { get; init; }
    public EvaluationRecord? Evaluation { get; init; }
    /// <summary>How the cell's convolutions were computed: libtorch's kernels as checked against float64, and the routes taken.</summary>
    public Kernels.KernelProvenance? Kernels { get; init; }
}

/// <summary>A trained model: its checkpoint (relative to the output folder) and the curve from its metrics.jsonl.</summary>
public sealed class TrainingRecord
{
    public required string Checkpoint { get; init; }
    public required string CheckpointSha256 { get; init; }
    /// <summary>One entry per logged epoch: numeric fields as the trainer wrote them ("epoch", "loss", "train_accuracy", ...).</summary>
    public List<Dictionary<string, double>> Curve { get; init; } = [];
}

/// <summary>Per-example outcome of an evaluation, so that the report can combine attacks per example (worst case)
/// and bin by class and foreground fraction without the dataset.</summary>
public sealed class EvaluationRecord
{
    public required int[] Indices { get; init; }
    public required long[] Labels { get; init; }
    /// <summary>Foreground pixels / all pixels of each test image's (true) mask.</summary>
    public required double[] ForegroundFractions { get; init; }
    /// <summary>'1' where the model is right on the (attacked) example, '0' where it is wrong.</summary>
    public required string Correct { get; init; }
    /// <summary>Image grid (clean, mask, adversarial, perturbation), relative to the output folder; null when none.</summary>
    public string? ExamplesImage { get; init; }

    public int Count => Correct.Length;
    public double Accuracy => Count == 0 ? 0 : Correct.Count(c => c == '1') / (double)Count;
}
