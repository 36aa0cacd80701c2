using Maskbench.Attacks;
using Maskbench.Runtime;
using static TorchSharp.torch;

namespace Maskbench.Tests.Attacks;

/// <summary>Shares the trained fixture model, which a bf16 attack converts in place: these classes run one at a time.</summary>
[Collection(TrainedFixture.Collection)]
public class PgdAttackTests
{
    [Theory]
    [InlineData(Norm.Linf, 8.0 / 255, true)]
    [InlineData(Norm.Linf, 0.1, false)]
    [InlineData(Norm.L2, 0.5, true)]
    public void AdversarialInputsSatisfyTheThreatModelOnRandomModels(Norm norm, double epsilon, bool masked)
    {
        for (int seed = 0; seed < 5; seed++)
        {
            using var scope = NewDisposeScope();
            var model = AttackFixtures.RandomConvNet(seed);
            var x = AttackFixtures.Inputs(seed, 10);
            var y = AttackFixtures.Labels(model, x);
            var threat = new ThreatModel(norm, epsilon, masked ? AttackFixtures.Masks(seed, 10) : null);
            foreach (Attack attack in Attacks(norm, seed))
            {
                using var result = attack.Run(new ModuleTarget(model), x, y, threat);
                Assert.Empty(threat.Check(x, result.Adversarial));
                Assert.Equal(10, result.Count);
                // Records agree with an independent float32 evaluation of the returned inputs.
                var fooled = AttackFixtures.Labels(model, result.Adversarial).ne(y).data<bool>().ToArray();
                Assert.Equal(fooled, result.Examples.Select(e => e.Fooled).ToArray());
            }
        }
    }

    static IEnumerable<Attack> Attacks(Norm norm, int seed)
    {
        yield return new PgdAttack { Steps = 4, Restarts = 2, Seed = seed };
        yield return new FgsmAttack();
        yield return new ApgdAttack { Steps = 5, Seed = seed };
        yield return new ApgdAttack { Steps = 5, Loss = AttackLoss.Dlr, Seed = seed, EarlyStop = false };
        if (norm == Norm.Linf) yield return new SquareAttack { Steps = 10, Seed = seed };
    }

    /// <summary>
    /// For f(x) = Wx + b with two classes the margin is m(x) = u·x + c with u = w_y − w_other, so the smallest margin over
    /// the L∞ ball (inside the box) is m(x) − ε‖u ⊙ mask‖₁, reached at x − ε·sign(u) on the masked coordinates.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void OnALinearClassifierPgdReachesTheClosedFormOptimum(bool masked)
    {
        using var scope = NewDisposeScope();
        const int size = 4, features = 3 * size * size;
        var rng = new Random(5);
        var w = Enumerable.Range(0, 2 * features).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var model = AttackFixtures.Linear(w, new float[] { 0.3f, -0.3f });
        double eps = 0.01;
        var x = AttackFixtures.Inputs(3, 6, size, eps, 1 - eps);
        var y = AttackFixtures.Labels(model, x);
        var mask = masked ? AttackFixtures.Masks(3, 6, size) : null;
        var attack = new PgdAttack { Steps = 20, StepSize = eps / 4, RandomStart = false, Loss = AttackLoss.Margin };
        using var result = attack.Run(new ModuleTarget(model), x, y, ThreatModel.Linf(eps, mask));

        var labels = y.data<long>().ToArray();
        var xs = x.reshape(6, features).data<float>().ToArray();
        var maskValues = mask?.repeat(1, 3, 1, 1).reshape(6, features).data<float>().ToArray();
        for (int i = 0; i < 6; i++)
        {
            int own = (int)labels[i], other = 1 - own;
            double margin = 0.3 * (own == 0 ? 1 : -1) * 2, l1 = 0;
            var optimum = new double[features];
            for (int j = 0; j < features; j++)
            {
                double u = w[own * features + j] - w[other * features + j];
                margin += u * xs[i * features + j];
                bool free = maskValues is null || maskValues[i * features + j] > 0;
                if (free) l1 += Math.Abs(u);
                optimum[j] = xs[i * features + j] - (free ? eps * Math.Sign(u) : 0);
            }
            double best = margin - eps * l1;
            var record = result.Examples[i];
            Assert.Equal(best < 0, record.Fooled);
            if (best > 0)
            {
                // Not fooled: the kept iterate is the smallest-margin one, which is the optimum itself.
                Assert.Equal(best, record.Margin, 3);
                var adv = result.Adversarial[i].flatten().data<float>().ToArray();
                for (int j = 0; j < features; j++) Assert.Equal(optimum[j], adv[j], 5);
            }
        }
    }

    [Fact]
    public void MatchesAPlainReferencePgdWithoutEarlyStopOrRandomStart()
    {
        for (int seed = 0; seed < 4; seed++)
        {
            using var scope = NewDisposeScope();
            var model = AttackFixtures.RandomConvNet64(seed);
            var x = AttackFixtures.Inputs(seed, 16);
            var y = AttackFixtures.Labels(model, x);
            var mask = seed % 2 == 0 ? AttackFixtures.Masks(seed, 16) : null;
            double eps = 0.05, alpha = 0.01;
            var attack = new PgdAttack { Steps = 10, StepSize = alpha, RandomStart = false, EarlyStop = false };
            using var result = attack.Run(new ModuleTarget(model), x, y, ThreatModel.Linf(eps, mask));
            var (reference, fooled) = ReferencePgd.Run(model, x, y, eps, alpha, 10, mask);
            Assert.Equal(fooled, result.Examples.Select(e => e.Fooled).ToArray());
            Assert.True((reference - result.Adversarial).abs().max().item<float>() < 1e-5f);
        }
    }

    [Fact]
    public void EarlyStopGivesTheSameOutcomeWithFewerGradients()
    {
        using var scope = NewDisposeScope();
        var model = AttackFixtures.RandomConvNet64(11);
        var x = AttackFixtures.Inputs(11, 32);
        var y = AttackFixtures.Labels(model, x);
        var threat = ThreatModel.Linf(0.05, AttackFixtures.Masks(11, 32));
        using var stopping = new PgdAttack { Steps = 20, Restarts = 2, Seed = 3 }.Run(new ModuleTarget(model), x, y, threat);
        using var full = new PgdAttack { Steps = 20, Restarts = 2, Seed = 3, EarlyStop = false }.Run(new ModuleTarget(model), x, y, threat);
        Assert.Equal(full.Examples.Select(e => e.Fooled), stopping.Examples.Select(e => e.Fooled));
        Assert.Equal(full.Examples.Select(e => e.Step), stopping.Examples.Select(e => e.Step));
        Assert.Equal(0f, (full.Adversarial - stopping.Adversarial).abs().max().item<float>());
        Assert.True(stopping.FooledCount > 0 && stopping.FooledCount < 32, $"fooled {stopping.FooledCount}: test needs a mix");
        Assert.True(stopping.GradientEvaluations < full.GradientEvaluations);
        Assert.Equal(2 * 20 * 32, full.GradientEvaluations);
    }

    [Fact]
    public void AtEpsilonZeroNothingMovesAndRobustAccuracyIsNatural()
    {
        using var scope = NewDisposeScope();
        var model = AttackFixtures.RandomConvNet(2);
        var x = AttackFixtures.Inputs(2, 12);
        var y = AttackFixtures.Labels(model, x);
        y[0] = (y[0] + 1) % 4;   // one clean mistake
        using var result = new PgdAttack { Steps = 5 }.Run(new ModuleTarget(model), x, y, ThreatModel.Linf(0));
        Assert.Equal(0f, (result.Adversarial - x).abs().max().item<float>());
        Assert.Equal(1, result.FooledCount);
        Assert.Equal(0, result.Examples[0].Step);
    }

    [Fact]
    public void PreparationRestoresTrainingModeParameterGradientsAndWeightsAfterBf16()
    {
        using var scope = NewDisposeScope();
        var model = AttackFixtures.RandomConvNet(4);
        model.train();
        var before = model.parameters().Select(p => p.detach().clone()).ToList();
        var x = AttackFixtures.Inputs(4, 8);
        var y = AttackFixtures.Labels(model, x);
        model.train();
        using var result = new PgdAttack { Steps = 3, Precision = Precision.Bf16 }.Run(new ModuleTarget(model), x, y, ThreatModel.Linf(0.03));
        Assert.True(model.training);
        var after = model.parameters().ToList();
        Assert.All(after, p => Assert.True(p.requires_grad));
        Assert.All(after, p => Assert.Equal(ScalarType.Float32, p.dtype));
        Assert.All(after, p => Assert.Null(p.grad));
        for (int i = 0; i < before.Count; i++) Assert.True(before[i].eq(after[i]).all().item<bool>());
        Assert.Empty(ThreatModel.Linf(0.03).Check(x, result.Adversarial));
    }

    [Fact]
    public void Bf16SearchIsJudgedInFloat32AndFindsWhatFloat32Finds()
    {
        using var scope = NewDisposeScope();
        var (model, x, y) = TrainedFixture.Get();
        var threat = ThreatModel.Linf(0.12);
        using var fp32 = new PgdAttack { Steps = 10, Seed = 2 }.Run(new ModuleTarget(model), x, y, threat);
        using var bf16 = new PgdAttack { Steps = 10, Seed = 2, Precision = Precision.Bf16 }.Run(new ModuleTarget(model), x, y, threat);
        Assert.Empty(threat.Check(x, bf16.Adversarial));
        var judged = AttackFixtures.Labels(model, bf16.Adversarial).ne(y).data<bool>().ToArray();
        Assert.Equal(judged, bf16.Examples.Select(e => e.Fooled).ToArray());
        Assert.True(fp32.FooledCount > 0);
        Assert.True(Math.Abs(fp32.RobustAccuracy - bf16.RobustAccuracy) <= 0.1, $"fp32 {fp32.RobustAccuracy}, bf16 {bf16.RobustAccuracy}");
    }

    [Fact]
    public void MaskedModelTargetSeesTheMaskedInputAndSelectsItsMasks()
    {
        using var scope = NewDisposeScope();
        var model = AttackFixtures.RandomConvNet(6);
        var x = AttackFixtures.Inputs(6, 5);
        var mask = AttackFixtures.Masks(6, 5);
        var target = new ModuleTarget(model, mask);
        using (no_grad())
        {
            model.eval();
            Assert.True(target.Logits(x).allclose(model.call(x * mask)));
            var rows = tensor(new long[] { 3, 1 });
            Assert.True(target.Select(rows).Logits(x.index_select(0, rows)).allclose(model.call((x * mask).index_select(0, rows))));
        }
    }

    [Fact]
    public void Given_the_clean_logits_an_attack_skips_its_clean_pass_and_finds_exactly_the_same()
    {
        using var scope = NewDisposeScope();
        var (model, x, y) = TrainedFixture.Get();
        var threat = ThreatModel.Linf(0.12);
        var target = new ModuleTarget(model);
        Tensor clean;
        using (target.Prepare(Precision.Fp32))
        using (no_grad())
            clean = target.Logits(x);
        var exclude = arange(x.shape[0]).remainder(5).eq(0);   // an ε sweep passes rows decided earlier
        using var own = new PgdAttack { Steps = 5, Seed = 4 }.Run(target, x, y, threat, exclude);
        using var given = new PgdAttack { Steps = 5, Seed = 4 }.Run(target, x, y, threat, exclude, clean);
        Assert.True(own.Adversarial.eq(given.Adversarial).all().item<bool>());
        Assert.Equal(own.Examples, given.Examples);
        Assert.Equal(own.GradientEvaluations, given.GradientEvaluations);
        Assert.Equal(own.ForwardEvaluations - x.shape[0], given.ForwardEvaluations);
        Assert.Throws<ArgumentException>(() => new PgdAttack { Steps = 1 }.Run(target, x, y, threat, null, clean.narrow(0, 0, 3)));
    }
}
