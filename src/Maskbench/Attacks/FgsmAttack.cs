using static TorchSharp.torch;

namespace Maskbench.Attacks;

/// <summary>
/// Fast gradient sign method (Goodfellow, Shlens and Szegedy 2015): one step of size ε along the steepest-ascent
/// direction of the cross-entropy (sign of the gradient for L∞, normalized gradient for L2), then projection.
/// </summary>
public sealed class FgsmAttack : Attack
{
    public override string Name => "fgsm";
    public AttackLoss Loss { get; init; } = AttackLoss.CrossEntropy;

    protected override void Search(AttackContext context)
    {
        using var set = context.Begin();
        if (set.IsEmpty) return;
        var x = set.Track("x");
        using (var scope = NewDisposeScope())
        {
            var (gradient, _, _) = context.Gradient(set, set.Inputs, (z, y) => AttackObjectives.Evaluate(Loss, z, y, null), step: 0);
            var step = SteepestAscent.Direction(gradient, set.Threat.Norm) * set.Threat.Epsilon;
            x.Value = set.Threat.Project(set.Inputs + step, set.Inputs);
        }
        context.Conclude(set, x.Value, step: 1);
    }
}
