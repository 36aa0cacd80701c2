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

    internal AttackContext(IAttackTarget target, Tensor inputs, Tensor labels, ThreatModel threat, AttackLedger ledger, Attack attack,
        Precision precision, bool? earlyStop = null)
    {
        Precision = precision;
        Target = target;
        Inputs = inputs;
        Labels = labels;
        Threat = threat;
        Ledger = ledger;
        Seed = attack.Seed;
        EarlyStop = earlyStop ?? attack.EarlyStop;
    }

    /// <summary>True where the example has been fooled by some iterate so far (global rows, bool N).</summary>
    public Tensor Fooled => Ledger.Fooled;

    /// <summary>
    /// The rows to attack next: those not yet fooled when early stop is on, every row otherwise (running every step).
    /// </summary>
    public ActiveSet Begin()
    {
        // A search that begins again (a restart) may look at what its last iterates did: judge them now.
        ConcludePending(exact: Precision == Precision.Fp32);
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
        var newly = Ledger.Observe(set.Rows, iterate, exact, step, countForward: !set.Target.GradientLogitsAreExact,
            exact: Precision == Precision.Fp32);
        return (gradient.detach().MoveToOuterDisposeScope(), values.detach().MoveToOuterDisposeScope(), newly.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// A forward pass at <paramref name="iterate"/> (no gradient), recorded as step <paramref name="step"/>. Returns logits and newly fooled rows.
    /// </summary>
    public (Tensor Logits, Tensor NewlyFooled) Evaluate(ActiveSet set, Tensor iterate, int step)
    {
        Runtime.NoCollectionZone.SafePoint();
        using var scope = NewDisposeScope();
        Tensor logits;
        using (no_grad()) logits = set.Target.Logits(iterate);
        var newly = Ledger.Observe(set.Rows, iterate, logits, step, countForward: true, exact: Precision == Precision.Fp32);
        return (logits.MoveToOuterDisposeScope(), newly.MoveToOuterDisposeScope());
    }

    (Tensor Rows, Tensor Iterate, int Step)? _pending;

    /// <summary>
    /// Records a search's last iterate, whose outcome the search itself does not use. A float32 search evaluates it at
    /// once. A lower-precision search leaves it to the float32 model, which judges the kept inputs after the search
    /// anyway: the last iterate then costs one float32 forward pass instead of a low-precision pass followed, where it
    /// is kept, by a float32 one.
    /// </summary>
    public void Conclude(ActiveSet set, Tensor iterate, int step)
    {
        if (Precision == Precision.Fp32)
        {
            var (logits, newly) = Evaluate(set, iterate, step);
            logits.Dispose();
            newly.Dispose();
            return;
        }
        ConcludePending(exact: false);
        _pending = (set.Rows.clone().DetachFromDisposeScope(), iterate.detach().clone().DetachFromDisposeScope(), step);
    }

    /// <summary>
    /// Evaluates the iterate left by <see cref="Conclude"/>, if any, with the target as it runs now (float32 once the
    /// search's precision has been left: <paramref name="exact"/>). Rows already fooled are skipped: an observation
    /// cannot change what the ledger keeps for them.
    /// </summary>
    internal void ConcludePending(bool exact)
    {
        if (_pending is not { } pending) return;
        _pending = null;
        using var scope = NewDisposeScope();
        using var pendingRows = pending.Rows;
        using var pendingIterate = pending.Iterate;
        var open = Ledger.Fooled.index_select(0, pendingRows).logical_not();
        if (!open.any().item<bool>()) return;
        var rows = pendingRows.masked_select(open);
        var iterate = pendingIterate[open];
        var target = Target.Select(rows);
        Tensor logits;
        using (no_grad()) logits = target.Logits(iterate);
        Ledger.Observe(rows, iterate, logits, pending.Step, countForward: true, exact: exact);
    }
}
