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
    public int Steps { get; init; } = 100;
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
                using (no_grad())
                {
                    var clean = set.Target.Logits(set.Inputs);
                    classes = (int)clean.shape[1];
                    RequireClasses(classes, TargetClasses is null ? loss : null);
                    if (TargetClasses is not null)
                    {
                        if (target + 1 >= classes) return;
                        set["target"] = AttackObjectives.RankedTarget(clean, set.Labels, target + 1);
                    }
                    clean.Dispose();
                }
                using (var generator = context.Generator(target * 1000 + restart))
                using (var start = context.Threat.RandomStart(context.Inputs, generator))
                    set["x"] = set.Pick(start);
                RunOnce(context, set, loss);
            }
        }
    }

    void RequireClasses(int classes, AttackLoss? untargetedLoss)
    {
        int needed = untargetedLoss is null ? 4 : untargetedLoss == AttackLoss.Dlr ? 3 : 2;
        if (classes < needed) throw new MaskbenchException($"{Name} needs at least {needed} classes, the model has {classes}");
    }

    void RunOnce(AttackContext context, ActiveSet set, AttackLoss loss)
    {
        var checkpoints = Checkpoints(Steps).ToList();
        int previousCheckpoint = 0;
        bool targeted = TargetClasses is not null;
        set["eta"] = full(new[] { set.Count, 1L, 1L, 1L }, 2 * context.Threat.Epsilon, ScalarType.Float32, set.Inputs.device);
        for (int k = 0; k < Steps && !set.IsEmpty; k++)
        {
            Tensor newly;
            using (var scope = NewDisposeScope())
            {
                var x = set["x"];
                Tensor? targets = targeted ? set["target"] : null;
                var (g, f, fooled) = context.Gradient(set, x, (z, y) => AttackObjectives.Evaluate(loss, z, y, targets), step: k);
                newly = fooled.MoveToOuterDisposeScope();
                if (k == 0)
                {
                    set["xmax"] = x.clone();
                    set["gmax"] = g;
                    set["fmax"] = f;
                    set["fprev"] = f.clone();
                    set["fmaxLast"] = f.clone();
                    set["etaLast"] = set["eta"].clone();
                    set["count"] = zeros_like(f);
                    set["prev"] = x.clone();
                }
                else
                {
                    set["count"] = set["count"] + f.gt(set["fprev"]).to_type(ScalarType.Float32);
                    set["fprev"] = f;
                    var improved = f.gt(set["fmax"]);
                    var rowsImproved = improved.reshape(-1, 1, 1, 1);
                    set["xmax"] = where(rowsImproved, x, set["xmax"]);
                    set["gmax"] = where(rowsImproved, g, set["gmax"]);
                    set["fmax"] = where(improved, f, set["fmax"]);
                    int index = checkpoints.IndexOf(k);
                    if (index >= 0)
                    {
                        int span = k - previousCheckpoint;
                        previousCheckpoint = k;
                        var eta = set["eta"].flatten();
                        var tooFewIncreases = set["count"].lt(Rho * span);
                        var stalled = set["etaLast"].flatten().eq(eta).logical_and(set["fmaxLast"].eq(set["fmax"]));
                        var halve = tooFewIncreases.logical_or(stalled);
                        var rows = halve.reshape(-1, 1, 1, 1);
                        set["etaLast"] = set["eta"].clone();
                        set["fmaxLast"] = set["fmax"].clone();
                        set["eta"] = where(rows, set["eta"] / 2, set["eta"]);
                        x = where(rows, set["xmax"], x);
                        g = where(rows, set["gmax"], g);
                        // Resuming from the best point drops the momentum of the abandoned trajectory.
                        set["prev"] = where(rows, set["xmax"], set["prev"]);
                        set["count"] = zeros_like(f);
                    }
                }
                var z = set.Threat.Project(x + set["eta"] * SteepestAscent.Direction(g, set.Threat.Norm), set.Inputs);
                Tensor next = k == 0
                    ? z
                    : set.Threat.Project(x + Momentum * (z - x) + (1 - Momentum) * (x - set["prev"]), set.Inputs);
                set["prev"] = x.clone();
                set["x"] = next;
            }
            set.DropIfEarlyStop(newly);
            newly.Dispose();
        }
        if (!set.IsEmpty) context.Conclude(set, set["x"], step: Steps);
    }
}
