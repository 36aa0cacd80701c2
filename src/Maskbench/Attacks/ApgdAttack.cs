using static TorchSharp.torch;

namespace Maskbench.Attacks;

/// <summary>
/// Auto-PGD (Croce and Hein 2020, "Reliable evaluation of adversarial robustness with an ensemble of diverse
/// parameter-free attacks", Algorithm 1): PGD with momentum α = 0.75 and a step size η that starts at 2ε and is halved
/// at checkpoints w_j = ⌈p_j·N⌉ (p₀ = 0, p₁ = 0.22, p_{j+1} = p_j + max(p_j − p_{j−1} − 0.03, 0.06)) when fewer than 75%
/// of the steps since the previous checkpoint raised the loss, or when neither η nor the best loss changed since then;
/// on halving the search resumes from the best point found. Losses: cross-entropy (APGD-CE), DLR (APGD-DLR), and
/// targeted DLR aimed in turn at the <see cref="TargetClasses"/> most likely wrong classes (APGD-T).
/// </summary>
public sealed class ApgdAttack : Attack
{
    const double Momentum = 0.75;
    const double Rho = 0.75;

    public override string Name => TargetClasses is null ? (Loss == AttackLoss.Dlr ? "apgd-dlr" : "apgd-ce") : "apgd-t";
    /// <summary>Croce and Hein 2020's budget (AutoAttack's standard version).</summary>
    public const int DefaultSteps = 100;
    /// <summary>AutoAttack's APGD-T: the 9 most likely wrong classes.</summary>
    public const int DefaultTargetClasses = 9;
    public int Steps { get; init; } = DefaultSteps;
    public int Restarts { get; init; } = 1;
    public AttackLoss Loss { get; init; } = AttackLoss.CrossEntropy;
    /// <summary>Null: untargeted. k: run targeted DLR for each of the k most likely wrong classes (AutoAttack uses 9).</summary>
    public int? TargetClasses { get; init; }

    /// <summary>The checkpoint iterations w₁ &lt; w₂ &lt; … below <paramref name="steps"/> (w₀ = 0 is implied).</summary>
    public static IReadOnlyList<int> Checkpoints(int steps)
    {
        // decimal keeps p exact (0.22 + 0.19 = 0.41), so ⌈p·N⌉ does not jump a step through binary rounding.
        var result = new List<int>();
        decimal previous = 0m, current = 0.22m;
        while (true)
        {
            int w = (int)Math.Ceiling(current * steps);
            if (w >= steps) break;
            if (w > 0 && (result.Count == 0 || w > result[^1])) result.Add(w);
            decimal next = current + Math.Max(current - previous - 0.03m, 0.06m);
            previous = current;
            current = next;
        }
        return result;
    }

    protected override void Search(AttackContext context)
    {
        int classes = -1;
        int targets = TargetClasses ?? 0;
        var loss = TargetClasses is null ? Loss : AttackLoss.Dlr;
        for (int target = 0; target < Math.Max(1, targets); target++)
        {
            for (int restart = 0; restart < Math.Max(1, Restarts); restart++)
            {
                using var set = context.Begin();
                if (set.IsEmpty) return;
                var state = new SearchState(set);
                using (no_grad())
                {
                    var clean = set.Target.Logits(set.Inputs);
                    classes = (int)clean.shape[1];
                    RequireClasses(classes, TargetClasses is null ? loss : null);
                    if (TargetClasses is not null)
                    {
                        if (target + 1 >= classes) return;
                        state.Target.Value = AttackObjectives.RankedTarget(clean, set.Labels, target + 1);
                    }
                    clean.Dispose();
                }
                using (var generator = context.Generator(target * 1000 + restart))
                using (var start = context.Threat.RandomStart(context.Inputs, generator))
                    state.X.Value = set.Pick(start);
                RunOnce(context, set, state, loss);
            }
        }
    }

    void RequireClasses(int classes, AttackLoss? untargetedLoss)
    {
        int needed = untargetedLoss is null ? 4 : untargetedLoss == AttackLoss.Dlr ? 3 : 2;
        if (classes < needed) throw new MaskbenchException($"{Name} needs at least {needed} classes, the model has {classes}");
    }

    void RunOnce(AttackContext context, ActiveSet set, SearchState state, AttackLoss loss)
    {
        var checkpoints = Checkpoints(Steps).ToList();
        int previousCheckpoint = 0;
        bool targeted = TargetClasses is not null;
        state.Eta.Value = full(new[] { set.Count, 1L, 1L, 1L }, 2 * context.Threat.Epsilon, ScalarType.Float32, set.Inputs.device);
        for (int k = 0; k < Steps && !set.IsEmpty; k++)
        {
            Tensor newly;
            using (var scope = NewDisposeScope())
            {
                var x = state.X.Value;
                Tensor? targets = targeted ? state.Target.Value : null;
                var (g, f, fooled) = context.Gradient(set, x, (z, y) => AttackObjectives.Evaluate(loss, z, y, targets), step: k);
                newly = fooled.MoveToOuterDisposeScope();
                if (k == 0)
                {
                    state.XMax.Value = x.clone();
                    state.GMax.Value = g;
                    state.FMax.Value = f;
                    state.FPrevious.Value = f.clone();
                    state.FMaxAtCheckpoint.Value = f.clone();
                    state.EtaAtCheckpoint.Value = state.Eta.Value.clone();
                    state.Increases.Value = zeros_like(f);
                    state.Previous.Value = x.clone();
                }
                else
                {
                    state.Increases.Value = state.Increases.Value + f.gt(state.FPrevious.Value).to_type(ScalarType.Float32);
                    state.FPrevious.Value = f;
                    var improved = f.gt(state.FMax.Value);
                    var rowsImproved = improved.reshape(-1, 1, 1, 1);
                    state.XMax.Value = where(rowsImproved, x, state.XMax.Value);
                    state.GMax.Value = where(rowsImproved, g, state.GMax.Value);
                    state.FMax.Value = where(improved, f, state.FMax.Value);
                    int index = checkpoints.IndexOf(k);
                    if (index >= 0)
                    {
                        int span = k - previousCheckpoint;
                        previousCheckpoint = k;
                        var eta = state.Eta.Value.flatten();
                        var tooFewIncreases = state.Increases.Value.lt(Rho * span);
                        var stalled = state.EtaAtCheckpoint.Value.flatten().eq(eta).logical_and(state.FMaxAtCheckpoint.Value.eq(state.FMax.Value));
                        var halve = tooFewIncreases.logical_or(stalled);
                        var rows = halve.reshape(-1, 1, 1, 1);
                        state.EtaAtCheckpoint.Value = state.Eta.Value.clone();
                        state.FMaxAtCheckpoint.Value = state.FMax.Value.clone();
                        state.Eta.Value = where(rows, state.Eta.Value / 2, state.Eta.Value);
                        x = where(rows, state.XMax.Value, x);
                        g = where(rows, state.GMax.Value, g);
                        // Resuming from the best point drops the momentum of the abandoned trajectory.
                        state.Previous.Value = where(rows, state.XMax.Value, state.Previous.Value);
                        state.Increases.Value = zeros_like(f);
                    }
                }
                var z = set.Project(x + state.Eta.Value * SteepestAscent.Direction(g, set.Threat.Norm));
                Tensor next = k == 0
                    ? z
                    : set.Project(x + Momentum * (z - x) + (1 - Momentum) * (x - state.Previous.Value));
                state.Previous.Value = x.clone();
                state.X.Value = next;
            }
            set.DropIfEarlyStop(newly);
            newly.Dispose();
        }
        if (!set.IsEmpty) context.Conclude(set, state.X.Value, step: Steps);
    }

    /// <summary>The per-example state of one APGD run (Algorithm 1's x^(k), x^(k−1), η, f_max, x_max and checkpoint bookkeeping).</summary>
    sealed class SearchState(ActiveSet set)
    {
        /// <summary>The current iterate x^(k).</summary>
        public readonly RowTensor X = set.Track("x");
        /// <summary>APGD-T: the class aimed at.</summary>
        public readonly RowTensor Target = set.Track("target");
        /// <summary>The step size η (N x 1 x 1 x 1).</summary>
        public readonly RowTensor Eta = set.Track("eta");
        /// <summary>The best point so far, its gradient and its loss.</summary>
        public readonly RowTensor XMax = set.Track("xmax"), GMax = set.Track("gmax"), FMax = set.Track("fmax");
        /// <summary>The loss at the previous iterate.</summary>
        public readonly RowTensor FPrevious = set.Track("fprev");
        /// <summary>f_max and η at the last checkpoint (the "stalled" condition).</summary>
        public readonly RowTensor FMaxAtCheckpoint = set.Track("fmaxLast"), EtaAtCheckpoint = set.Track("etaLast");
        /// <summary>Steps since the last checkpoint that raised the loss.</summary>
        public readonly RowTensor Increases = set.Track("count");
        /// <summary>The previous iterate x^(k−1) (the momentum term).</summary>
        public readonly RowTensor Previous = set.Track("prev");
    }
}
