namespace Maskbench.Masks.Learned;

/// <summary>How the masker is trained: naturally, or adversarially with PGD on the segmentation loss.</summary>
public enum MaskerTrainingMode
{
    Natural,
    /// <summary>
    /// Madry et al. 2018 applied to segmentation: each batch is replaced by L∞ PGD examples that maximize the segmentation loss over the whole image.
    /// </summary>
    Pgd,
}

/// <summary>Options of <see cref="MaskerTrainer"/>; every one of them is recorded in masker.json.</summary>
public sealed record MaskerTrainingOptions
{
    public MaskerTrainingMode Mode { get; init; } = MaskerTrainingMode.Natural;
    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 64;
    /// <summary>Adam's step size (β = 0.9, 0.999), constant, then the last quarter of the epochs at a tenth of it.</summary>
    public double LearningRate { get; init; } = 2e-3;
    /// <summary>L∞ budget of the PGD training adversary (whole image).</summary>
    public double Epsilon { get; init; } = 8.0 / 255;
    public int Steps { get; init; } = 5;
    /// <summary>Random crops (pad S/8) and horizontal flips, applied identically to image and mask.</summary>
    public bool Augment { get; init; } = true;
    public bool HorizontalFlip { get; init; }
    public int Seed { get; init; }
    /// <summary>Train on at most this many images of the split (null: all).</summary>
    public int? LimitTrain { get; init; }

    public void Validate()
    {
        if (Epochs < 1) throw new MaskbenchException($"masker epochs must be ≥ 1, got {Epochs}");
        if (BatchSize < 1) throw new MaskbenchException($"masker batch size must be ≥ 1, got {BatchSize}");
        if (!(LearningRate > 0)) throw new MaskbenchException($"masker learning rate must be > 0, got {LearningRate}");
        if (Mode == MaskerTrainingMode.Pgd && (!(Epsilon > 0) || Steps < 1))
            throw new MaskbenchException($"PGD masker training needs ε > 0 and ≥ 1 step, got ε = {Epsilon}, {Steps} steps");
    }

    public double LearningRateAt(int epoch) => epoch >= Epochs - Epochs / 4 && Epochs >= 4 ? LearningRate / 10 : LearningRate;
}
