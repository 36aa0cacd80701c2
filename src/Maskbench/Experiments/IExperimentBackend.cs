using Maskbench.Data;
using Maskbench.Progress;

namespace Maskbench.Experiments;

/// <summary>
/// What the grid needs from the deep-learning side: train one model into a run folder, evaluate one attack on one
/// trained model. The grid (keys, caching, selection, merging, results) knows nothing of tensors; the TorchSharp
/// implementation wires the models, trainer and attacks, and tests use a counting fake.
/// </summary>
public interface IExperimentBackend
{
    /// <summary>Trains <paramref name="model"/>, writing its checkpoint and metrics.jsonl under <paramref name="runFolder"/>.</summary>
    TrainedModel Train(GridModel model, string runFolder, IProgressSink progress);

    /// <summary>Evaluates <paramref name="attack"/> against the trained model on the test split.</summary>
    EvaluationOutcome Evaluate(GridModel model, TrainedModel trained, GridAttack attack, IProgressSink progress);
}

/// <summary>
/// A trained model: the checkpoint's absolute path and the per-epoch curve. <see cref="CheckpointSha256"/>, when
/// known, is the hash the training cell recorded; a backend loads the checkpoint only if its bytes hash to it.
/// </summary>
public sealed record TrainedModel(string CheckpointPath, IReadOnlyList<Dictionary<string, double>> Curve)
{
    public string? CheckpointSha256 { get; init; }
}

/// <summary>Per-example results of one evaluation, and optionally a few examples to draw.</summary>
public sealed record EvaluationOutcome(
    int[] Indices, long[] Labels, double[] ForegroundFractions, bool[] Correct, AdversarialExamples? Examples);

/// <summary>A few test images with their masks and adversarial versions, for the report's image grid.</summary>
public sealed record AdversarialExamples(IReadOnlyList<RgbImage> Clean, IReadOnlyList<BinaryMask> Masks, IReadOnlyList<RgbImage> Adversarial);
