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

    /// <summary>
    /// Null: <see cref="Begin"/> gives the search every open row at once. Otherwise the set works on at most this many
    /// rows at a time and queues the rest (see <see cref="ActiveSet.Admit"/>): a search that refills its batch.
    /// </summary>
    public long? Window { get; }

    /// <summary>Null, or the only rows <see cref="Begin"/> may give (bool N): the frame's chunk for a search that does not refill.</summary>
    internal Tensor? Within { get; set; }

    internal AttackContext(IAttackTarget target, Tensor inputs, Tensor labels, ThreatModel threat, AttackLedger ledger, Attack attack,
        Precision precision, bool? earlyStop = null, long? window = null)
    {
        Window = window;
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
    /// The rows to attack next: those not yet fooled when early stop is on, every row otherwise (running every step),
    /// all at once or, with a <see cref="Window"/>, that many at a time with the rest queued in row order.
    /// </summary>
    public ActiveSet Begin()
    {
        // A search that begins again (a restart) may look at what its last iterates did: judge them now.
        ConcludePending(exact: Precision == Precision.Fp32);
        // Built outside any inner dispose scope: the set's views (threat mask, model masks) must outlive this call.
        Tensor rows;
        using (var scope = NewDisposeScope())
        {
            var open = EarlyStop ? Ledger.Fooled.logical_or(Ledger.Excluded).logical_not() : Ledger.Excluded.logical_not();
            if (Within is not null) open = open.logical_and(Within);
            rows = Ledger.All.masked_select(open).MoveToOuterDisposeScope();
        }
        return new ActiveSet(this, rows.DetachFromDisposeScope(), Window);
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
    public (Tensor Gradient, Tensor Loss, Tensor NewlyFooled) Gradient(ActiveSet set, Tensor iterate, Func<Tensor, Tensor, Tensor> loss, int step) =>
        Gradient(set, iterate, loss, step, null);

    /// <summary>
    /// As <see cref="Gradient(ActiveSet, Tensor, Func{Tensor, Tensor, Tensor}, int)"/>, each row's iterate recorded at
    /// its own <see cref="ActiveSet.Step"/>.
    /// </summary>
    public (Tensor Gradient, Tensor Loss, Tensor NewlyFooled) Gradient(ActiveSet set, Tensor iterate, Func<Tensor, Tensor, Tensor> loss) =>
        Gradient(set, iterate, loss, 0, set.Step);

    (Tensor Gradient, Tensor Loss, Tensor NewlyFooled) Gradient(ActiveSet set, Tensor iterate, Func<Tensor, Tensor, Tensor> loss, int step,
        Tensor? steps)
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
        var newly = steps is null
            ? Ledger.Observe(set.Rows, iterate, exact, step, countForward: !set.Target.GradientLogitsAreExact, exact: Precision == Precision.Fp32)
            : Ledger.Observe(set.Rows, iterate, exact, steps, countForward: !set.Target.GradientLogitsAreExact, exact: Precision == Precision.Fp32);
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

    readonly List<(Tensor Rows, Tensor Iterate, int Step)> _pending = [];
    long _pendingRows;

    /// <summary>
    /// Records a search's last iterate of the rows <paramref name="which"/> (local bool; null: all of the set), whose
    /// outcome the search itself does not use. A float32 search evaluates it at once, or with a <see cref="Window"/>
    /// once a window's worth of rows has finished (rows of a refilled batch finish a few at a time). A lower-precision
    /// search leaves it to the float32 model, which judges the kept inputs after the search anyway: the last iterate then
    /// costs one float32 forward pass instead of a low-precision pass followed, where it is kept, by a float32 one.
    /// </summary>
    public void Conclude(ActiveSet set, Tensor iterate, int step, Tensor? which = null)
    {
        if (Precision == Precision.Fp32 && Window is null)
        {
            Runtime.NoCollectionZone.SafePoint();
            using var scope = NewDisposeScope();
            var rows = which is null ? set.Rows : set.Rows.masked_select(which);
            var target = which is null ? set.Target : Target.Select(rows);
            var point = which is null ? iterate : iterate[which];
            Tensor logits;
            using (no_grad()) logits = target.Logits(point);
            Ledger.Observe(rows, point, logits, step, countForward: true, exact: true);
            return;
        }
        var keptRows = (which is null ? set.Rows.clone() : set.Rows.masked_select(which)).DetachFromDisposeScope();
        var keptIterate = (which is null ? iterate.detach().clone() : iterate.detach()[which]).DetachFromDisposeScope();
        _pending.Add((keptRows, keptIterate, step));
        _pendingRows += keptRows.shape[0];
        if (Precision == Precision.Fp32 && _pendingRows >= Window) ConcludePending(exact: true);
    }

    /// <summary>
    /// Evaluates the iterates left by <see cref="Conclude"/>, if any, with the target as it runs now (float32 once the
    /// search's precision has been left: <paramref name="exact"/>), in batches of the <see cref="Window"/>. Rows already
    /// fooled are skipped: an observation cannot change what the ledger keeps for them.
    /// </summary>
    internal void ConcludePending(bool exact)
    {
        if (_pending.Count == 0) return;
        using var scope = NewDisposeScope();
        var pendingRows = cat(_pending.Select(p => p.Rows).ToList());
        var pendingIterate = cat(_pending.Select(p => p.Iterate).ToList());
        var pendingSteps = cat(_pending.Select(p => full(new[] { p.Rows.shape[0] }, (long)p.Step, ScalarType.Int64, p.Rows.device)).ToList());
        foreach (var (rows, iterate, _) in _pending)
        {
            rows.Dispose();
            iterate.Dispose();
        }
        _pending.Clear();
        _pendingRows = 0;
        var open = Ledger.Fooled.index_select(0, pendingRows).logical_not();
        if (!open.any().item<bool>()) return;
        var openRows = pendingRows.masked_select(open);
        var openIterate = pendingIterate[open];
        var openSteps = pendingSteps.masked_select(open);
        long count = openRows.shape[0], batch = Window ?? count;
        for (long start = 0; start < count; start += batch)
        {
            using var inner = NewDisposeScope();
            long size = Math.Min(batch, count - start);
            var rows = openRows.narrow(0, start, size);
            var iterate = openIterate.narrow(0, start, size);
            Tensor logits;
            using (no_grad()) logits = Target.Select(rows).Logits(iterate);
            Ledger.Observe(rows, iterate, logits, openSteps.narrow(0, start, size), countForward: true, exact: exact);
        }
    }
}
