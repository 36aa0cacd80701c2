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

    /// <summary>PGD refills: a row's search is its own start and steps, whichever rows share the batch.</summary>
    protected override bool Refills => true;

    protected override void Search(AttackContext context)
    {
        double alpha = StepSizeFor(context.Threat.Epsilon);
        for (int restart = 0; restart < Math.Max(1, Restarts); restart++)
        {
            using var set = context.Begin();
            if (set.IsEmpty) return;
            RowTensor x = set.Track("x"), target = set.Track("target");
            // One draw per restart for the whole batch: a row's start depends on its row number only.
            using var generator = RandomStart ? context.Generator(restart) : null;
            using var start = generator is null ? null : context.Threat.RandomStart(context.Inputs, generator);
            while (true)
            {
                Admit(context, set, start, x, target);
                if (set.IsEmpty) break;
                // Rows that have taken all their steps leave with their last iterate; others take their places first.
                using (var done = set.Step.ge(Steps))
                    if (done.any().item<bool>())
                    {
                        context.Conclude(set, x.Value, step: Steps, done);
                        set.Drop(done);
                        continue;
                    }
                Tensor newly;
                using (var scope = NewDisposeScope())
                {
                    Tensor? targets = TargetRank is null ? null : target.Value;
                    // Each row's iterate is recorded at its own step number (rows admitted later are at earlier steps).
                    var (gradient, _, fooled) = context.Gradient(set, x.Value, (z, y) => AttackObjectives.Evaluate(Loss, z, y, targets));
                    var moved = x.Value + SteepestAscent.Direction(gradient, set.Threat.Norm) * alpha;
                    x.Value = set.Project(moved);
                    newly = fooled.MoveToOuterDisposeScope();
                }
                set.Advance();
                set.DropIfEarlyStop(newly);
                newly.Dispose();
            }
        }
    }

    /// <summary>Fills the set's free places from its queue, each new row at its start point (and, targeted, its target class).</summary>
    void Admit(AttackContext context, ActiveSet set, Tensor? start, RowTensor x, RowTensor target)
    {
        // Admitted outside any inner dispose scope: the set's views (threat mask, model masks) must outlive this call.
        using var added = set.Admit();
        if (added.shape[0] == 0) return;
        using var scope = NewDisposeScope();
        var inputs = context.Inputs.index_select(0, added);
        x.Append(start is null ? inputs : start.index_select(0, added));
        if (TargetRank is int rank)
            using (no_grad())
                target.Append(AttackObjectives.RankedTarget(context.Target.Select(added).Logits(inputs), context.Labels.index_select(0, added),
                    rank));
    }
}
