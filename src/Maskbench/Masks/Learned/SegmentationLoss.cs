using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Maskbench.Masks.Learned;

/// <summary>
/// The masker's training loss: per-pixel binary cross-entropy on the logits plus the soft Dice loss
/// 1 − 2Σpt/(Σp + Σt) per image (Milletari et al. 2016), which weighs small foregrounds as much as large ones.
/// </summary>
public static class SegmentationLoss
{
    /// <summary>Per-image loss (N), so that an attack can ascend it example by example.</summary>
    public static Tensor PerImage(Tensor logits, Tensor truth)
    {
        using var scope = NewDisposeScope();
        var bce = F.binary_cross_entropy_with_logits(logits, truth, reduction: nn.Reduction.None).flatten(1).mean([1]);
        var p = logits.sigmoid().flatten(1);
        var t = truth.flatten(1);
        var dice = 1 - (2 * (p * t).sum([1]) + 1) / (p.sum([1]) + t.sum([1]) + 1);
        return (bce + dice).MoveToOuterDisposeScope();
    }

    public static Tensor Mean(Tensor logits, Tensor truth)
    {
        using var scope = NewDisposeScope();
        return PerImage(logits, truth).mean().MoveToOuterDisposeScope();
    }
}
