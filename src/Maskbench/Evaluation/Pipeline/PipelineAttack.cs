namespace Maskbench.Evaluation.Pipeline;

/// <summary>The attacks of a pipeline's evaluation, in the order they run; the worst case over all is its robust accuracy.</summary>
public enum PipelineAttack
{
    /// <summary>PGD on the classifier behind the clean image's predicted mask, held fixed (the masker ignored), in the base region.</summary>
    NonAdaptive,
    /// <summary>(a) PGD end to end through the soft mask, in the base region.</summary>
    EndToEnd,
    /// <summary>(b) BPDA: straight-through gradient for the 0.5 threshold, in the base region (thresholded pipelines only).</summary>
    StraightThrough,
    /// <summary>
    /// (c) PGD on the masker alone grows the predicted foreground (perturbing the base region), then PGD on the pipeline
    /// in the base region ∪ the clean prediction ∪ the grown prediction.
    /// </summary>
    MaskGrowth,
    /// <summary>(d) PGD on the pipeline with every pixel perturbable.</summary>
    FullImage,
}
