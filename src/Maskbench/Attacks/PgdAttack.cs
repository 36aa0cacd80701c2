using static TorchSharp.torch;

namespace Maskbench.Attacks;

/// <summary>
/// Projected gradient descent (Madry et al. 2018): from a random point of the threat set, <see cref="Steps"/> steps of
/// size α along the steepest-ascent direction of the loss, each followed by projection; repeated for
/// <see cref="Restarts"/> random starts on the examples not yet fooled. Iterate k (after k steps) is recorded as step k.
/// </summary>
public sealed class PgdAttack : Attack
{
    public override string Name => "pgd";
    /// <summary>The paper's evaluation budget (and Madry et al.'s for CIFAR-10).</summary>
    public const int DefaultSteps = 20;
    public int Steps { get; init; } = DefaultSteps;
    /// <summary>α; null means 2.5·ε/steps (Madry et al.'s choice).</summary>
    public double? StepSize { get; init; }
    public int Restarts { get; init; } = 1;
    public bool RandomStart { get; init; } = true;
    public AttackLoss Loss { get; init; } = AttackLoss.CrossEntropy;
    /// <summary>Null for an untargeted attack; k aims at the k-th most likely wrong class of the clean input.</summary>
    public int? TargetRank { get; init; }

    public double StepSizeFor(double epsilon) => StepSize ?? 2.5 * epsilon / Math.Max(1, Steps);

    protected override void Search(AttackContext context)
    {
        double alpha = StepSizeFor(context.Threat.Epsilon);
        for (int restart = 0; restart < Math.Max(1, Restarts); restart++)
        {
            using var set = context.Begin();
            if (set.IsEmpty) return;
            RowTensor x = set.Track("x"), target = set.Track("target");
            if (TargetRank is int rank)
                using (no_grad()) target.Value = AttackObjectives.RankedTarget(set.Target.Logits(set.Inputs), set.Labels, rank);
            if (RandomStart)
            {
                using var generator = context.Generator(restart);
                using var start = context.Threat.RandomStart(context.Inputs, generator);
                x.Value = set.Pick(start);
            }
            else x.Value = set.Inputs.clone();

            for (int k = 0; k < Steps && !set.IsEmpty; k++)
            {
                Tensor newly;
                using (var scope = NewDisposeScope())
                {
                    Tensor? targets = TargetRank is null ? null : target.Value;
                    var (gradient, _, fooled) = context.Gradient(set, x.Value, (z, y) => AttackObjectives.Evaluate(Loss, z, y, targets), step: k);
                    var moved = x.Value + SteepestAscent.Direction(gradient, set.Threat.Norm) * alpha;
                    x.Value = set.Threat.Project(moved, set.Inputs);
                    newly = fooled.MoveToOuterDisposeScope();
                }
                set.DropIfEarlyStop(newly);
                newly.Dispose();
            }
            if (!set.IsEmpty) context.Conclude(set, x.Value, step: Steps);
        }
    }
}
