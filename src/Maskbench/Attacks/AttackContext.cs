using TorchSharp;
using static TorchSharp.torch;

namespace Maskbench.Attacks;

/// <summary>
/// What an attack's search works with: the batch, the model, the threat model, and two ways to evaluate an iterate
/// (with or without a gradient), both of which record the iterate in the ledger.
/// </summary>
public sealed class AttackContext
{
    internal AttackLedger Ledger { get; }
    public IAttackTarget Target { get; }
    public Tensor Inputs { get; }
    public Tensor Labels { get; }
    public ThreatModel Threat { get; }
    public int Seed { get; }
    public bool EarlyStop { get; }
    public long BatchSize => Inputs.shape[0];

    /// <summary>The precision the model runs in during this search.</summary>
    public Precision Precision { get; }

    internal AttackContext(IAttackTarget target, Tensor inputs, Tensor labels, ThreatModel threat, AttackLedger ledger, Attack attack, Precision precision)
    {
        Precision = precision;
        Target = target;
        Inputs = inputs;
        Labels = labels;
        Threat = threat;
        Ledger = ledger;
        Seed = attack.Seed;
        EarlyStop = attack.EarlyStop;
    }

    /// <summary>True where the example has been fooled by some iterate so far (global rows, bool N).</summary>
    public Tensor Fooled => Ledger.Fooled;

    /// <summary>
    /// The rows to attack next: those not yet fooled when early stop is on, every row otherwise (running every step).
    /// </summary>
    public ActiveSet Begin()
    {
        // Built outside any inner dispose scope: the set's views (threat mask, model masks) must outlive this call.
        Tensor rows;
        using (var open = EarlyStop ? Ledger.Fooled.logical_or(Ledger.Excluded).logical_not() : Ledger.Excluded.logical_not())
            rows = Ledger.All.masked_select(open);
        return new ActiveSet(this, rows.DetachFromDisposeScope());
    }

    /// <summary>A generator for this attack run, derived from the seed and a purpose number so that streams differ.</summary>
    /// <remarks>A CPU generator whatever the device: random starts are drawn on the CPU (<see cref="ThreatModel.RandomStart"/>),
    /// so the same seed gives the same start on CPU and CUDA.</remarks>
    public Generator Generator(int stream) => new Generator((ulong)(uint)Seed * 1_000_003UL + (ulong)stream, CPU);

    /// <summary>
    /// Gradient of the per-example <paramref name="loss"/> at <paramref name="iterate"/> with respect to the input
    /// only; records the iterate as step <paramref name="step"/>. Returns the gradient, the loss values and which rows
    /// this iterate newly fooled (all local to <paramref name="set"/>).
    /// </summary>
    public (Tensor Gradient, Tensor Loss, Tensor NewlyFooled) Gradient(ActiveSet set, Tensor iterate, Func<Tensor, Tensor, Tensor> loss, int step)
    {
        // Between steps no native call of this search is in flight: the place to let the collector run.
        Runtime.NoCollectionZone.SafePoint();
        using var scope = NewDisposeScope();
        var point = iterate.detach().requires_grad_(true);
        Tensor logits, values, gradient;
        using (enable_grad())
        {
            logits = set.Target.LogitsForGradient(point);
            values = loss(logits, set.Labels);
            gradient = autograd.grad(new[] { values.sum() }, new[] { point })[0];
        }
        Ledger.GradientEvaluations += set.Count;
        Tensor exact;
        if (set.Target.GradientLogitsAreExact) exact = logits.detach();
        else using (no_grad()) exact = set.Target.Logits(iterate);
        var newly = Ledger.Observe(set.Rows, iterate, exact, step, countForward: !set.Target.GradientLogitsAreExact);
        return (gradient.detach().MoveToOuterDisposeScope(), values.detach().MoveToOuterDisposeScope(), newly.MoveToOuterDisposeScope());
    }

    /// <summary>A forward pass at <paramref name="iterate"/> (no gradient), recorded as step <paramref name="step"/>. Returns logits and newly fooled rows.</summary>
    public (Tensor Logits, Tensor NewlyFooled) Evaluate(ActiveSet set, Tensor iterate, int step)
    {
        Runtime.NoCollectionZone.SafePoint();
        using var scope = NewDisposeScope();
        Tensor logits;
        using (no_grad()) logits = set.Target.Logits(iterate);
        var newly = Ledger.Observe(set.Rows, iterate, logits, step, countForward: true);
        return (logits.MoveToOuterDisposeScope(), newly.MoveToOuterDisposeScope());
    }
}
