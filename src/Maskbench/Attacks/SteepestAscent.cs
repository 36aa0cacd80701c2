using static TorchSharp.torch;

namespace Maskbench.Attacks;

/// <summary>The steepest-ascent direction of a norm: sign(g) for L∞, g/‖g‖₂ per example for L2.</summary>
public static class SteepestAscent
{
    public static Tensor Direction(Tensor gradient, Norm norm)
    {
        if (norm == Norm.Linf) return gradient.sign();
        using var scope = NewDisposeScope();
        var norms = gradient.flatten(1).norm(1, keepdim: false).clamp_min(1e-12).reshape(-1, 1, 1, 1);
        return (gradient / norms).MoveToOuterDisposeScope();
    }
}
