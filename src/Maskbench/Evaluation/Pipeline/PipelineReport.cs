using Maskbench.Attacks;
using Maskbench.Masks.Learned;

namespace Maskbench.Evaluation.Pipeline;

/// <summary>One attack's outcome on the pipeline: accuracy under it and how far it moved the predicted mask.</summary>
/// <param name="MaskIoU">IoU of the predicted mask at the attacked input against the predicted mask of the clean input.</param>
public sealed record PipelineAttackResult(PipelineAttack Attack, AccuracyInterval Robust, MeanWithInterval MaskIoU);

/// <summary>An attacked example for the image grid: clean image, clean and attacked predicted masks, attacked image.</summary>
public sealed record PipelineExample(int Index, long Label, PipelineAttack? FooledBy, byte[] Clean, byte[] CleanMask, byte[] AttackedMask,
    byte[] Attacked);

/// <summary>
/// A pipeline's evaluation: natural accuracy, each attack's accuracy and mask IoU, and the worst case per example over
/// every attack (the pipeline's robust accuracy), all with 95% intervals.
/// </summary>
public sealed record PipelineReport
{
    public required string MaskMode { get; init; }
    public required ThreatRegion Region { get; init; }
    public required double Epsilon { get; init; }
    public required int Steps { get; init; }
    public required AccuracyInterval Natural { get; init; }
    public required IReadOnlyList<PipelineAttackResult> Attacks { get; init; }
    public required AccuracyInterval WorstCase { get; init; }
    /// <summary>IoU of the clean predicted mask against the dataset's mask.</summary>
    public required MeanWithInterval CleanMaskIoU { get; init; }
    /// <summary>
    /// Per-example IoU between clean and attacked predicted masks at the input that decided each example (its first fooling attack, else the last
    /// attack).
    /// </summary>
    public required MeanWithInterval WorstCaseMaskIoU { get; init; }
    public IReadOnlyList<PipelineExample> Examples { get; init; } = [];
    public int ImageSize { get; init; }
}
