using static TorchSharp.torch;

namespace Maskbench.Attacks;

/// <summary>
/// The kept input per example: the first iterate that fooled the model, or else the iterate with the smallest margin
/// z_y − max_{j≠y} z_j among those the float32 model evaluated (in a bf16 search: the clean input and the last
/// iterate). Because every iterate passes through here, early stop changes the cost, never the outcome.
/// </summary>
internal sealed class AttackLedger : IDisposable
{
    public Tensor Inputs { get; }
    public Tensor Labels { get; }
    public Tensor All { get; }
    public Tensor Best { get; }
    public Tensor BestMargin { get; }
    /// <summary>The logits observed at <see cref="Best"/> (created at the first observation).</summary>
    public Tensor? BestLogits { get; private set; }
    /// <summary>True where <see cref="BestLogits"/> came from the float32 model (not a lower-precision search).</summary>
    public Tensor BestExact { get; }
    public Tensor Fooled { get; }
    public Tensor Steps { get; }
    public long GradientEvaluations { get; set; }
    public long ForwardEvaluations { get; set; }

    /// <summary>Rows the search must not touch (already decided by an earlier attack of an ensemble).</summary>
    public Tensor Excluded { get; private set; }

    public AttackLedger(Tensor inputs, Tensor labels, Tensor? exclude)
    {
        long n = inputs.shape[0];
        Inputs = inputs;
        Labels = labels;
        All = arange(n, ScalarType.Int64, inputs.device);
        Best = inputs.clone();
        BestMargin = full(new[] { n }, float.PositiveInfinity, ScalarType.Float32, inputs.device);
        Fooled = zeros(new[] { n }, ScalarType.Bool, inputs.device);
        BestExact = zeros(new[] { n }, ScalarType.Bool, inputs.device);
        Steps = full(new[] { n }, -1L, ScalarType.Int64, inputs.device);
        Excluded = exclude is null ? zeros(new[] { n }, ScalarType.Bool, inputs.device) : exclude.to_type(ScalarType.Bool).to(inputs.device).clone();
    }

    /// <summary>
    /// Forgets what the search found for rows <paramref name="rows"/> (bool N) and excludes every other row, so that a
    /// second search covers exactly those rows.
    /// </summary>
    public void Reopen(Tensor rows)
    {
        using var scope = NewDisposeScope();
        var index = All.masked_select(rows);
        Fooled.index_fill_(0, index, false);
        Steps.index_fill_(0, index, -1L);
        BestMargin.index_fill_(0, index, float.PositiveInfinity);
        BestExact.index_fill_(0, index, false);
        Best.index_copy_(0, index, Inputs.index_select(0, index));
        var old = Excluded;
        Excluded = old.logical_or(rows.logical_not()).DetachFromDisposeScope();
        old.Dispose();
    }

    /// <summary>
    /// The float32 model's logits at every kept input: those observed in float32 as they are, the others computed by
    /// <paramref name="target"/>, which must be running in float32 (counted as forward evaluations; at most
    /// <paramref name="batch"/> rows at a time), and recorded, so each is computed once.
    /// </summary>
    public Tensor Float32LogitsAtBest(IAttackTarget target, int? batch = null)
    {
        using var scope = NewDisposeScope();
        var missing = All.masked_select(BestExact.logical_not());
        if (missing.shape[0] > 0)
        {
            Tensor logits;
            using (no_grad()) logits = Attack.InBatches(target.Select(missing), Best.index_select(0, missing), batch);
            ForwardEvaluations += missing.shape[0];
            KeepLogits(missing, logits, exact: true);
        }
        return BestLogits!.clone().MoveToOuterDisposeScope();
    }

    /// <summary>Stores <paramref name="logits"/> as those at the kept inputs of <paramref name="rows"/> (global int64).</summary>
    void KeepLogits(Tensor rows, Tensor logits, bool exact)
    {
        BestLogits ??= zeros(new[] { Inputs.shape[0], logits.shape[1] }, ScalarType.Float32, Inputs.device).DetachFromDisposeScope();
        BestLogits.index_copy_(0, rows, logits.to_type(ScalarType.Float32));
        BestExact.index_fill_(0, rows, exact);
    }

    /// <summary>Frees the logits kept outside any dispose scope (they are created lazily, deep inside a search).</summary>
    public void Dispose()
    {
        BestLogits?.Dispose();
        BestLogits = null;
    }

    /// <summary>
    /// Records iterate <paramref name="step"/> of rows <paramref name="rows"/>, whose <paramref name="logits"/> the
    /// float32 model gave when <paramref name="exact"/>; returns which of them it newly fooled (local bool).
    /// </summary>
    public Tensor Observe(Tensor rows, Tensor iterate, Tensor logits, int step, bool countForward, bool exact) =>
        Observe(rows, iterate, logits, step, null, countForward, exact);

    /// <summary>
    /// As <see cref="Observe(Tensor, Tensor, Tensor, int, bool, bool)"/>, each row at its own step (<paramref name="steps"/>: local int64).
    /// </summary>
    public Tensor Observe(Tensor rows, Tensor iterate, Tensor logits, Tensor steps, bool countForward, bool exact) =>
        Observe(rows, iterate, logits, 0, steps, countForward, exact);

    Tensor Observe(Tensor rows, Tensor iterate, Tensor logits, int step, Tensor? steps, bool countForward, bool exact)
    {
        using var scope = NewDisposeScope();
        if (countForward) ForwardEvaluations += rows.shape[0];
        var labels = Labels.index_select(0, rows);
        var margin = AttackObjectives.Margin(logits.detach(), labels);
        var already = Fooled.index_select(0, rows);
        var newly = AttackObjectives.Misclassified(logits.detach(), labels).logical_and(already.logical_not());
        // Margins are compared between float32 observations only: a low-precision margin is off by its rounding, and
        // the iterate it would keep must then be judged again in float32. A low-precision search keeps what fools.
        var better = already.logical_not().logical_and(exact ? newly.logical_or(margin.lt(BestMargin.index_select(0, rows))) : newly);
        if (better.any().item<bool>())
        {
            var keep = rows.masked_select(better);
            Best.index_copy_(0, keep, iterate.detach()[better].to_type(ScalarType.Float32));
            KeepLogits(keep, logits.detach()[better], exact);
            BestMargin.index_copy_(0, keep, margin.masked_select(better));
        }
        if (newly.any().item<bool>())
        {
            var fooledRows = rows.masked_select(newly);
            Fooled.index_fill_(0, fooledRows, true);
            if (steps is null) Steps.index_fill_(0, fooledRows, (long)step);
            else Steps.index_copy_(0, fooledRows, steps.masked_select(newly));
        }
        return newly.MoveToOuterDisposeScope();
    }
}
