using System.Text.Json.Serialization;
using Maskbench.Attacks;

namespace Maskbench.Training;

/// <summary>
/// Joint training of a masker and a classifier (<see cref="TrainingOptions.Joint"/>): the classifier learns on
/// x ⊙ σ(masker(x)) end to end while the masker, started from a trained one, is fine-tuned by the classifier's loss
/// plus <see cref="SegmentationWeight"/> times its segmentation loss against the dataset's masks.
/// </summary>
public sealed record JointTrainingOptions
{
    /// <summary>The masker folder (<c>train-masker</c>) fine-tuning starts from.</summary>
    public required string Masker { get; init; }
    /// <summary>
    /// Weight w of the segmentation loss (BCE + Dice, <c>SegmentationLoss</c>) in CE + w·segmentation: it keeps the
    /// mask a foreground mask; at 0 the masker is free to become whatever helps the classifier.
    /// </summary>
    public double SegmentationWeight { get; init; } = 1.0;
    /// <summary>Adam's step size for the masker at the classifier's initial learning rate; it follows the classifier's schedule.</summary>
    public double MaskerLearningRate { get; init; } = 2e-4;
    /// <summary>
    /// The mask the classifier is trained on. <see cref="MaskMode.Threshold"/> (the default): the deployed mask
    /// 1[σ(z) ≥ 0.5] in the forward pass, the straight-through estimator (Bengio et al. 2013) in the backward pass
    /// (the gradient of σ(z)), so the classifier learns on the masks it will be given and the masker cannot pass it
    /// information through in-between mask values. <see cref="MaskMode.Soft"/>: x ⊙ σ(z) both ways (then deploy it soft).
    /// </summary>
    [JsonConverter(typeof(JsonStringEnumConverter<MaskMode>))]
    public MaskMode Mask { get; init; } = MaskMode.Threshold;

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Masker)) throw new MaskbenchException("joint training needs a masker folder (--masker)");
        if (!(SegmentationWeight >= 0) || double.IsInfinity(SegmentationWeight))
            throw new MaskbenchException($"--segmentation-weight must be a finite number ≥ 0, got {SegmentationWeight}");
        if (!(MaskerLearningRate > 0) || double.IsInfinity(MaskerLearningRate))
            throw new MaskbenchException($"--masker-lr must be positive, got {MaskerLearningRate}");
    }
}
