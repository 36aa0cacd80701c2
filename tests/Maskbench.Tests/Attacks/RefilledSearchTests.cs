using Maskbench.Attacks;
using TorchSharp;
using static TorchSharp.torch;

namespace Maskbench.Tests.Attacks;

/// <summary>
/// A search given a window (<see cref="Attack.Run"/>'s <c>window</c>): PGD admits waiting rows into its running batch
/// as others leave (<see cref="ActiveSet.Admit"/>), other attacks search the open rows in chunks. The oracles are the
/// same attack without a window and each row searched alone (every other row excluded, so its random start is the
/// same), on a float64 network whose per-row results do not depend on the batch (<see cref="AttackFixtures.RandomConvNet64"/>).
/// </summary>
[Collection(TrainedFixture.Collection)]
public class RefilledSearchTests
{
    const int Rows = 16;

    static (nn.Module<Tensor, Tensor> Model, Tensor X, Tensor Y, ThreatModel Threat) Setup(Norm norm, double epsilon, bool masked)
    {
        var model = AttackFixtures.RandomConvNet64(31);
        var x = AttackFixtures.Inputs(4, Rows);
        var y = AttackFixtures.Labels(model, x);   // every row starts correct, so every row is attacked
        return (model, x, y, new ThreatModel(norm, epsilon, masked ? AttackFixtures.Masks(4, Rows) : null));
    }

    static void AssertSameSearch(AttackResult expected, AttackResult actual, string what)
    {
        Assert.Equal(expected.Examples.Select(e => (e.Fooled, e.Step, e.FooledBy)), actual.Examples.Select(e => (e.Fooled, e.Step, e.FooledBy)));
        Assert.True((expected.Adversarial - actual.Adversarial).abs().max().item<float>() == 0, $"{what}: adversarial inputs differ");
    }

    [Theory]
    [InlineData(Norm.Linf, 0.02, true, true)]
    [InlineData(Norm.Linf, 0.02, false, false)]
    [InlineData(Norm.L2, 0.3, false, true)]
    public void A_refilled_pgd_gives_every_row_the_search_it_gets_in_one_batch(Norm norm, double epsilon, bool masked, bool earlyStop)
    {
        using var scope = NewDisposeScope();
        var (model, x, y, threat) = Setup(norm, epsilon, masked);
        var pgd = new PgdAttack { Steps = 6, Restarts = 2, Seed = 3, EarlyStop = earlyStop };
        using var whole = pgd.Run(new ModuleTarget(model), x, y, threat);
        using var refilled = pgd.Run(new ModuleTarget(model), x, y, threat, window: 5);
        // Rows are fooled at several steps (so rows leave mid-search and others are admitted), and some survive.
        Assert.InRange(whole.FooledCount, 2, Rows - 1);
        Assert.True(whole.Examples.Where(e => e.Fooled).Select(e => e.Step).Distinct().Count() >= 2, "every row fooled at one step");
        Assert.Empty(threat.Check(x, refilled.Adversarial));
        AssertSameSearch(whole, refilled, "window 5");
        Assert.Equal(whole.GradientEvaluations, refilled.GradientEvaluations);
    }

    /// <summary>The brute-force reference: each row searched on its own (a batch of one), compared row by row.</summary>
    [Fact]
    public void Each_row_of_a_refilled_pgd_is_what_that_row_searched_alone_gives()
    {
        using var scope = NewDisposeScope();
        var (model, x, y, threat) = Setup(Norm.Linf, 0.02, masked: true);
        var pgd = new PgdAttack { Steps = 6, Seed = 5 };
        using var refilled = pgd.Run(new ModuleTarget(model), x, y, threat, window: 4);
        Assert.InRange(refilled.FooledCount, 2, Rows - 1);
        for (int i = 0; i < Rows; i++)
        {
            using var rowScope = NewDisposeScope();
            var others = ones(Rows, ScalarType.Bool);
            others[i] = false;
            using var alone = pgd.Run(new ModuleTarget(model), x, y, threat, others);
            Assert.Equal((alone.Examples[i].Fooled, alone.Examples[i].Step), (refilled.Examples[i].Fooled, refilled.Examples[i].Step));
            Assert.True((alone.Adversarial[i] - refilled.Adversarial[i]).abs().max().item<float>() == 0, $"row {i} differs from its search alone");
        }
    }

    /// <summary>
    /// Every row takes its steps until it is fooled: a row first fooled at iterate k &lt; Steps cost k + 1 gradients
    /// (iterates 0..k), any other row Steps; the total must be the attack's count. Without early stop every row takes them all.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Every_row_takes_exactly_its_steps_unless_it_is_fooled(bool earlyStop)
    {
        using var scope = NewDisposeScope();
        var (model, x, y, threat) = Setup(Norm.Linf, 0.02, masked: false);
        const int steps = 7;
        using var result = new PgdAttack { Steps = steps, Seed = 1, EarlyStop = earlyStop }.Run(new ModuleTarget(model), x, y, threat, window: 3);
        Assert.InRange(result.FooledCount, 2, Rows - 1);
        long expected = earlyStop ? result.Examples.Sum(e => e.Fooled && e.Step < steps ? e.Step + 1 : steps) : (long)Rows * steps;
        Assert.Equal(expected, result.GradientEvaluations);
        Assert.All(result.Examples.Where(e => e.Fooled), e => Assert.InRange(e.Step, 0, steps));
    }

    /// <summary>
    /// The point of refilling: while rows wait, every gradient is taken on a full window; once the queue is empty, the
    /// rows left finish within <c>Steps</c> more steps. The model never sees more rows than the window.
    /// </summary>
    [Fact]
    public void A_refilled_pgd_keeps_its_batch_full_until_the_queue_is_empty()
    {
        using var scope = NewDisposeScope();
        var (model, x, y, threat) = Setup(Norm.Linf, 0.02, masked: false);
        const int window = 5, steps = 6;
        var target = new BatchRecordingTarget(new ModuleTarget(model));
        using var result = new PgdAttack { Steps = steps, Seed = 3 }.Run(target, x, y, threat, window: window);
        Assert.InRange(result.FooledCount, 2, Rows - 1);
        var sizes = target.GradientBatches;
        int firstPartial = sizes.FindIndex(size => size < window);
        Assert.True(firstPartial > steps, "refilling never happened");
        Assert.All(sizes.Take(firstPartial), size => Assert.Equal(window, size));
        Assert.InRange(sizes.Count - firstPartial, 0, steps);
        Assert.Equal(result.GradientEvaluations, sizes.Sum());
        Assert.All(target.ForwardBatches, size => Assert.InRange(size, 1, window));
    }

    /// <summary>An attack that does not refill (APGD) searches the open rows in chunks of the window, one row's search unchanged.</summary>
    [Fact]
    public void Apgd_with_a_window_searches_chunks_and_gives_every_row_its_search()
    {
        using var scope = NewDisposeScope();
        var (model, x, y, threat) = Setup(Norm.Linf, 0.02, masked: true);
        var apgd = new ApgdAttack { Steps = 8, Seed = 2 };
        using var whole = apgd.Run(new ModuleTarget(model), x, y, threat);
        var target = new BatchRecordingTarget(new ModuleTarget(model));
        using var chunked = apgd.Run(target, x, y, threat, window: 6);
        Assert.InRange(whole.FooledCount, 2, Rows - 1);
        AssertSameSearch(whole, chunked, "chunks of 6");
        Assert.All(target.GradientBatches.Concat(target.ForwardBatches), size => Assert.InRange(size, 1, 6));
    }

    /// <summary>
    /// A bf16 search's last iterates finish a few rows at a time and are judged in float32 together; the verdicts are
    /// the float32 model's.
    /// </summary>
    [Fact]
    public void A_refilled_bf16_pgd_reports_the_float32_verdict_at_each_kept_input()
    {
        using var scope = NewDisposeScope();
        var (model, x, y) = TrainedFixture.Get();
        var threat = ThreatModel.Linf(0.1);
        using var result = new PgdAttack { Steps = 5, Seed = 4, Precision = Precision.Bf16 }.Run(new ModuleTarget(model), x, y, threat, window: 7);
        Assert.Empty(threat.Check(x, result.Adversarial));
        Assert.InRange(result.FooledCount, 1, (int)x.shape[0] - 1);
        var fooled = AttackFixtures.Labels(model, result.Adversarial).ne(y).data<bool>().ToArray();
        Assert.Equal(fooled, result.Examples.Select(e => e.Fooled).ToArray());
    }

    [Fact]
    public void A_window_must_hold_a_row()
    {
        using var scope = NewDisposeScope();
        var (model, x, y, threat) = Setup(Norm.Linf, 0.02, masked: false);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PgdAttack().Run(new ModuleTarget(model), x, y, threat, window: 0));
    }

    /// <summary>The set's queue, step counters and per-row state, driven by hand.</summary>
    [Fact]
    public void An_active_set_admits_queued_rows_into_the_places_rows_left()
    {
        using var scope = NewDisposeScope();
        var (model, x, y, threat) = Setup(Norm.Linf, 0.02, masked: false);
        using var ledger = new AttackLedger(x, y, exclude: null);
        var context = new AttackContext(new ModuleTarget(model), x, y, threat, ledger, new PgdAttack(), Precision.Fp32, window: 3);
        using var set = context.Begin();
        Assert.Equal(3, set.Count);
        Assert.Equal(Rows - 3, set.Queued);
        Assert.Equal(new long[] { 0, 1, 2 }, set.Admit().data<long>().ToArray());   // the first call hands out the rows the set began with
        var state = set.Track("x");
        state.Value = set.Inputs.clone();
        set.Advance();
        set.Advance();
        set.Drop(tensor(new[] { false, true, false }));
        Assert.Equal(new long[] { 3 }, set.Admit().data<long>().ToArray());
        Assert.Equal(new long[] { 0, 2, 3 }, set.Rows.data<long>().ToArray());
        Assert.Equal(new long[] { 2, 2, 0 }, set.Step.data<long>().ToArray());
        Assert.Throws<InvalidOperationException>(() => state.Value);   // row 3 was admitted without its state
        state.Append(x[3].unsqueeze(0));
        Assert.Equal(0f, (state.Value - set.Inputs).abs().max().item<float>());
        Assert.Equal(0f, (set.Inputs - x.index_select(0, set.Rows)).abs().max().item<float>());
        Assert.Equal(0, set.Admit().shape[0]);   // full: nothing admitted
        Assert.Equal(Rows - 4, set.Queued);
    }

    /// <summary>
    /// The set's projection (bounds made once per row, appended as rows are admitted) gives the threat model's own
    /// projection bit for bit, with a 0/1 mask and with a fractional one (where there are no bounds).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_active_set_projects_every_row_as_its_threat_model_does(bool fractionalMask)
    {
        using var scope = NewDisposeScope();
        var (model, x, y, _) = Setup(Norm.Linf, 0.02, masked: false);
        var mask = AttackFixtures.Masks(4, Rows);
        if (fractionalMask) mask = mask * 0.5 + 0.25;
        var threat = ThreatModel.Linf(0.03, mask);
        using var ledger = new AttackLedger(x, y, exclude: null);
        var context = new AttackContext(new ModuleTarget(model), x, y, threat, ledger, new PgdAttack(), Precision.Fp32, window: 4);
        using var set = context.Begin();
        set.Admit().Dispose();
        using var generator = new Generator(9);
        void Compare()
        {
            var candidate = set.Inputs + (rand(set.Inputs.shape, generator: generator) * 2 - 1) * 0.05;
            Assert.Equal(0f, (set.Project(candidate) - set.Threat.Project(candidate, set.Inputs)).abs().max().item<float>());
        }
        Compare();
        set.Drop(tensor(new[] { true, false, true, false }));
        Compare();
        set.Admit().Dispose();
        Assert.Equal(new long[] { 1, 3, 4, 5 }, set.Rows.data<long>().ToArray());
        Compare();
    }

    /// <summary>An ensemble whose members work in a window fools the same rows as one given the whole batch (trained model, float32).</summary>
    [Fact]
    public void An_ensemble_with_member_batches_keeps_the_robust_accuracy_of_one_batch()
    {
        using var scope = NewDisposeScope();
        var (model, x, y) = TrainedFixture.Get();
        var threat = ThreatModel.Linf(0.1);
        IAttack[] members = [new PgdAttack { Steps = 8, Seed = 2 }, new ApgdAttack { Steps = 12, Seed = 2 }];
        using var whole = new AttackEnsemble("whole", members).Run(new ModuleTarget(model), x, y, threat);
        var target = new BatchRecordingTarget(new ModuleTarget(model));
        using var windowed = new AttackEnsemble("windowed", members) { MemberBatch = 9 }.Run(target, x, y, threat);
        Assert.InRange(whole.FooledCount, 1, (int)x.shape[0] - 1);
        Assert.Equal(whole.Examples.Select(e => e.Fooled), windowed.Examples.Select(e => e.Fooled));
        Assert.Empty(threat.Check(x, windowed.Adversarial));
        Assert.All(target.GradientBatches.Concat(target.ForwardBatches), size => Assert.InRange(size, 1, 9));
        var fooled = AttackFixtures.Labels(model, windowed.Adversarial).ne(y).data<bool>().ToArray();
        Assert.Equal(fooled, windowed.Examples.Select(e => e.Fooled).ToArray());
    }

    /// <summary>Records the batch size of every gradient and forward pass (selections share the lists).</summary>
    sealed class BatchRecordingTarget(IAttackTarget inner, List<long>? gradients = null, List<long>? forwards = null) : IAttackTarget
    {
        public List<long> GradientBatches { get; } = gradients ?? [];
        public List<long> ForwardBatches { get; } = forwards ?? [];

        public Tensor Logits(Tensor inputs)
        {
            (inputs.requires_grad ? GradientBatches : ForwardBatches).Add(inputs.shape[0]);
            return inner.Logits(inputs);
        }

        public Tensor LogitsForGradient(Tensor inputs)
        {
            GradientBatches.Add(inputs.shape[0]);
            return inner.LogitsForGradient(inputs);
        }

        public bool GradientLogitsAreExact => inner.GradientLogitsAreExact;
        public IAttackTarget Select(Tensor indices) => new BatchRecordingTarget(inner.Select(indices), GradientBatches, ForwardBatches);
        public IDisposable Prepare(Precision precision) => inner.Prepare(precision);
    }
}
