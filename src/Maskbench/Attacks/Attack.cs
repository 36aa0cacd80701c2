using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Maskbench.Attacks;

/// <summary>
/// The shared frame of every attack: configured once (seed, early stop, precision, plus each attack's own settings),
/// then run on batches. The frame checks the clean inputs, readies the model, lets the attack search, and makes the
/// final float32 decision; it holds no attack-specific logic (as in fra31/auto-attack, unlike torchattacks' big base).
/// </summary>
public abstract class Attack : IAttack
{
    /// <summary>Short name used in records and on the command line (pgd, apgd-ce, square).</summary>
    public abstract string Name { get; }

    /// <summary>Seeds every random choice; same seed, same inputs, same result.</summary>
    public int Seed { get; init; }

    /// <summary>
    /// Stop spending evaluations on examples already fooled (their fooling input is kept). Either way an example counts
    /// as fooled when any iterate fooled it, so robust accuracy does not depend on this switch.
    /// </summary>
    public bool EarlyStop { get; init; } = true;

    public Precision Precision { get; init; } = Precision.Fp32;

    /// <summary>
    /// Attacks <paramref name="x"/> (N x C x H x W float32 in [0,1]) with true labels <paramref name="y"/> (int64 N).
    /// Rows where <paramref name="exclude"/> (bool N) is true are left at their clean input and cost nothing; the other
    /// rows get exactly the search they would get without it (random draws are made for the whole batch, so a row's
    /// start depends on its row number, not on which rows are searched with it). With a <paramref name="window"/> the
    /// model sees at most that many rows at a time: an attack that refills (<see cref="Refills"/>) admits waiting rows
    /// as others leave its search; any other attack searches the open rows in chunks of that many.
    /// </summary>
    public AttackResult Run(IAttackTarget target, Tensor x, Tensor y, ThreatModel threat, Tensor? exclude = null, Tensor? cleanLogits = null,
        int? window = null)
    {
        if (window is <= 0) throw new ArgumentOutOfRangeException(nameof(window), $"the window must hold at least one row, got {window}");
        if (x.dim() != 4) throw new ArgumentException($"inputs must be N x C x H x W, got [{string.Join(", ", x.shape)}]", nameof(x));
        if (y.dim() != 1 || y.shape[0] != x.shape[0]) throw new ArgumentException("labels must be a vector with one entry per input", nameof(y));
        if (threat.Mask is not null && (threat.Mask.shape[0] != x.shape[0] || threat.Mask.shape[2] != x.shape[2]
            || threat.Mask.shape[3] != x.shape[3]))
            throw new ArgumentException($"threat mask [{string.Join(", ", threat.Mask.shape)}] does not fit inputs [{string.Join(", ", x.shape)}]",
                nameof(threat));
        if (cleanLogits is not null && (cleanLogits.dim() != 2 || cleanLogits.shape[0] != x.shape[0]))
            throw new ArgumentException($"clean logits [{string.Join(", ", cleanLogits.shape)}] do not fit {x.shape[0]} inputs", nameof(cleanLogits));
        // The attack's native calls pass TorchSharp scalars a collection could free mid-call: the zone is entered here,
        // where the work happens, so no caller can forget it (inside a caller's zone it simply nests).
        using var zone = Runtime.NoCollectionZone.Enter();
        var clock = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        var inputs = x.to_type(ScalarType.Float32).detach();
        var labels = y.to_type(ScalarType.Int64);
        using var ledger = new AttackLedger(inputs, labels, exclude);
        using (target.Prepare(Precision.Fp32))
        {
            using (no_grad())
                ledger.Observe(ledger.All, inputs, cleanLogits?.detach().to_type(ScalarType.Float32) ?? InBatches(target, inputs, window), step: 0,
                    countForward: cleanLogits is null, exact: true);
            AttackContext? context = null;
            using (target.Prepare(Precision))
                if (threat.Epsilon > 0) context = SearchOpenRows(new AttackContext(target, inputs, labels, threat, ledger, this, Precision,
                    window: Refills ? window : null), window);
            // Back in float32: the search's last iterate, if it left one, is judged by the float32 model.
            context?.ConcludePending(exact: true);

            // The decision that counts: the float32 model at the kept input (logits a float32 observation gave are reused).
            var logits = ledger.Float32LogitsAtBest(target, window);
            if (Precision != Precision.Fp32 && threat.Epsilon > 0 && SearchAgainWhereFloat32Disagrees(target, inputs, labels, threat, ledger, logits,
                window))
            {
                logits.Dispose();
                logits = ledger.Float32LogitsAtBest(target, window);
            }
            var problems = threat.Check(inputs, ledger.Best);
            if (problems.Count > 0) throw new InvalidOperationException(
                $"{Name} produced inputs outside the threat model: {string.Join("; ", problems)}");
            var records = Records(ledger, logits, labels);
            return new AttackResult
            {
                Attack = Name,
                Adversarial = ledger.Best.detach().clone().MoveToOuterDisposeScope(),
                Examples = records,
                GradientEvaluations = ledger.GradientEvaluations,
                ForwardEvaluations = ledger.ForwardEvaluations,
                Elapsed = clock.Elapsed,
            };
        }
    }

    /// <summary>The target's logits at <paramref name="inputs"/>, at most <paramref name="batch"/> rows at a time.</summary>
    internal static Tensor InBatches(IAttackTarget target, Tensor inputs, int? batch)
    {
        long n = inputs.shape[0];
        if (batch is not { } size || n <= size) return target.Logits(inputs);
        using var scope = NewDisposeScope();
        var parts = new List<Tensor>();
        for (long start = 0; start < n; start += size)
        {
            using var rows = arange(start, Math.Min(n, start + size), ScalarType.Int64, inputs.device);
            parts.Add(target.Select(rows).Logits(inputs.narrow(0, start, rows.shape[0])));
        }
        return cat(parts).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// A low-precision search decides "fooled" with low-precision logits, and early stop then drops the example. Where
    /// the float32 model is not fooled by the kept input (<paramref name="float32Logits"/>), those rows are searched
    /// again in float32 (usually a handful), so that bf16 changes the speed, not the robust accuracy.
    /// </summary>
    /// <returns>Whether any row was searched again.</returns>
    bool SearchAgainWhereFloat32Disagrees(IAttackTarget target, Tensor inputs, Tensor labels, ThreatModel threat, AttackLedger ledger,
        Tensor float32Logits, int? window)
    {
        using var scope = NewDisposeScope();
        var disagree = ledger.Fooled.logical_and(AttackObjectives.Misclassified(float32Logits, labels).logical_not());
        if (!disagree.any().item<bool>()) return false;
        ledger.Reopen(disagree);
        // Early stop on whatever the attack's setting: it cannot change the outcome, and these rows were borderline, so
        // the float32 search usually fools them within a step or two (at batch 1 a VGG-19 step costs ~8x per image).
        SearchOpenRows(new AttackContext(target, inputs, labels, threat, ledger, this, Precision.Fp32, earlyStop: true,
            window: Refills ? window : null), window).ConcludePending(exact: true);
        return true;
    }

    /// <summary>
    /// Runs the search on the rows the ledger leaves open: at once, in a refilled window (the context has one), or, for
    /// an attack that does not refill, in chunks of <paramref name="window"/> open rows within the one context (one
    /// ledger, one set of random draws, the model prepared once). Returns the context, whose pending iterates the caller concludes.
    /// </summary>
    AttackContext SearchOpenRows(AttackContext context, int? window)
    {
        if (context.Window is not null || window is not { } size)
        {
            Search(context);
            return context;
        }
        var ledger = context.Ledger;
        var open = ledger.All.masked_select(ledger.Excluded.logical_not()).cpu().data<long>().ToArray();
        foreach (var chunk in open.Chunk(size))
        {
            using var within = zeros(new[] { ledger.All.shape[0] }, ScalarType.Bool, ledger.All.device);
            using (var index = tensor(chunk, ScalarType.Int64).to(ledger.All.device)) within.index_fill_(0, index, true);
            context.Within = within;
            Search(context);
        }
        context.Within = null;
        return context;
    }

    /// <summary>
    /// True when <see cref="Search"/> admits queued rows into its running batch (<see cref="ActiveSet.Admit"/>) and so
    /// can be given a window; each row still gets its own complete search.
    /// </summary>
    protected virtual bool Refills => false;

    ExampleRecord[] Records(AttackLedger ledger, Tensor logits, Tensor labels) =>
        Records(logits, labels, ledger.Steps.cpu().data<long>().ToArray(), Name);

    /// <summary>
    /// One record per row from the float32 logits at its kept input and the step of the iterate that fooled it (0: the
    /// clean input, recorded as fooled by "clean"; otherwise by <paramref name="attack"/>).
    /// </summary>
    internal static ExampleRecord[] Records(Tensor logits, Tensor labels, long[] steps, string attack)
    {
        var fooled = AttackObjectives.Misclassified(logits, labels).cpu().data<bool>().ToArray();
        var margin = AttackObjectives.Margin(logits, labels).to_type(ScalarType.Float64).cpu().data<double>().ToArray();
        var loss = nn.functional.cross_entropy(logits.to_type(ScalarType.Float32), labels, reduction: nn.Reduction.None)
            .to_type(ScalarType.Float64).cpu().data<double>().ToArray();
        var records = new ExampleRecord[fooled.Length];
        for (int i = 0; i < records.Length; i++)
            records[i] = new ExampleRecord(fooled[i], fooled[i] ? (int)steps[i] : -1, loss[i], margin[i],
                fooled[i] ? (steps[i] == 0 ? "clean" : attack) : null);
        return records;
    }

    /// <summary>The attack's search; it reports every iterate it evaluates to <c>AttackContext.Observe</c>.</summary>
    protected abstract void Search(AttackContext context);
}
