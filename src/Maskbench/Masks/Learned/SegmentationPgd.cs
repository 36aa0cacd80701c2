using Maskbench.Attacks;
using static TorchSharp.torch;

namespace Maskbench.Masks.Learned;

/// <summary>
/// L∞ PGD against the masker (Madry et al. 2018 with the segmentation loss in place of cross-entropy): a random start
/// in the <see cref="ThreatModel"/>, then signed-gradient ascent steps of <see cref="SegmentationLoss"/> against the true
/// mask, each projected by the threat model; the last iterate is returned. It trains the adversarial masker and
/// measures its IoU under attack. The masker must already be in the mode the caller wants (eval for both uses).
/// </summary>
public static class SegmentationPgd
{
    public static Tensor Run(MaskUNet masker, Tensor x, Tensor truth, ThreatModel threat, int steps, int seed)
    {
        using var scope = NewDisposeScope();
        double alpha = 2.5 * threat.Epsilon / Math.Max(1, steps);
        using var generator = new Generator((ulong)(uint)seed, CPU);
        var adversarial = threat.RandomStart(x, generator);
        for (int k = 0; k < steps; k++)
        {
            var point = adversarial.detach().requires_grad_(true);
            var loss = SegmentationLoss.PerImage(masker.forward(point), truth).sum();
            var grad = autograd.grad([loss], [point])[0];
            using (no_grad()) adversarial = threat.Project(point.detach() + SteepestAscent.Direction(grad, threat.Norm) * alpha, x);
        }
        return adversarial.detach().MoveToOuterDisposeScope();
    }
}
