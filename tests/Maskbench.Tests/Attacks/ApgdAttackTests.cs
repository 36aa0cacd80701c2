using Maskbench.Attacks;
using Maskbench.Runtime;
using static TorchSharp.torch;

namespace Maskbench.Tests.Attacks;

/// <summary>Shares the trained fixture model, which a bf16 attack converts in place: these classes run one at a time.</summary>
[Collection(TrainedFixture.Collection)]
public class ApgdAttackTests
{
    [Fact]
    public void CheckpointsFollowTheFormulaOfCroceAndHein()
    {
        // p: 0, .22, .41, .57, .70, .80, .87, .93, .99 (then 1.05 > 1), worked out by hand from
        // p_{j+1} = p_j + max(p_j − p_{j−1} − 0.03, 0.06); w_j = ⌈p_j·N⌉.
        Assert.Equal(new[] { 22, 41, 57, 70, 80, 87, 93, 99 }, ApgdAttack.Checkpoints(100));
        Assert.Equal(new[] { 220, 410, 570, 700, 800, 870, 930, 990 }, ApgdAttack.Checkpoints(1000));
        Assert.Equal(new[] { 3, 5, 6, 7, 8, 9 }, ApgdAttack.Checkpoints(10));
    }

    [Fact]
    public void OnALinearClassifierApgdReachesTheClosedFormOptimum()
    {
        using var scope = NewDisposeScope();
        const int size = 4, features = 3 * size * size;
        var rng = new Random(9);
        var w = Enumerable.Range(0, 2 * features).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var model = AttackFixtures.Linear(w, new float[] { 0.5f, -0.5f });
        double eps = 0.005;
        var x = AttackFixtures.Inputs(4, 6, size, eps, 1 - eps);
        var y = AttackFixtures.Labels(model, x);
        var mask = AttackFixtures.Masks(4, 6, size);
        using var result = new ApgdAttack { Steps = 10 }.Run(new ModuleTarget(model), x, y, ThreatModel.Linf(eps, mask));
        var labels = y.data<long>().ToArray();
        var xs = x.reshape(6, features).data<float>().ToArray();
        var free = mask.repeat(1, 3, 1, 1).reshape(6, features).data<float>().ToArray();
        for (int i = 0; i < 6; i++)
        {
            int own = (int)labels[i];
            double margin = own == 0 ? 1.0 : -1.0, l1 = 0;
            for (int j = 0; j < features; j++)
            {
                double u = w[own * features + j] - w[(1 - own) * features + j];
                margin += u * xs[i * features + j];
                if (free[i * features + j] > 0) l1 += Math.Abs(u);
            }
            double best = margin - eps * l1;
            Assert.Equal(best < 0, result.Examples[i].Fooled);
            if (best > 0) Assert.Equal(best, result.Examples[i].Margin, 3);
        }
    }

    [Theory]
    [InlineData(AttackLoss.CrossEntropy, null)]
    [InlineData(AttackLoss.Dlr, null)]
    [InlineData(AttackLoss.Dlr, 2)]
    public void EarlyStopGivesTheSameOutcomeWithFewerGradients(AttackLoss loss, int? targets)
    {
        using var scope = NewDisposeScope();
        var model = AttackFixtures.RandomConvNet64(12);
        var x = AttackFixtures.Inputs(12, 24);
        var y = AttackFixtures.Labels(model, x);
        var threat = ThreatModel.Linf(0.04, AttackFixtures.Masks(12, 24));
        using var stopping = new ApgdAttack { Steps = 15, Loss = loss, TargetClasses = targets, Seed = 1 }.Run(new ModuleTarget(model), x, y, threat);
        using var full = new ApgdAttack { Steps = 15, Loss = loss, TargetClasses = targets, Seed = 1,
            EarlyStop = false }.Run(new ModuleTarget(model), x, y, threat);
        Assert.Equal(full.Examples.Select(e => e.Fooled), stopping.Examples.Select(e => e.Fooled));
        Assert.Equal(0f, (full.Adversarial - stopping.Adversarial).abs().max().item<float>());
        Assert.True(stopping.FooledCount > 0 && stopping.FooledCount < 24, $"fooled {stopping.FooledCount}: test needs a mix");
        Assert.True(stopping.GradientEvaluations < full.GradientEvaluations);
        Assert.Empty(threat.Check(x, stopping.Adversarial));
    }

    [Fact]
    public void MatchesAPlainReferenceApgdWithoutEarlyStop()
    {
        for (int seed = 0; seed < 3; seed++)
        {
            using var scope = NewDisposeScope();
            var model = AttackFixtures.RandomConvNet64(30 + seed);
            var x = AttackFixtures.Inputs(30 + seed, 12);
            var y = AttackFixtures.Labels(model, x);
            var threat = ThreatModel.Linf(0.03, seed == 1 ? null : AttackFixtures.Masks(seed, 12));
            using var result = new ApgdAttack { Steps = 25, Seed = seed, EarlyStop = false }.Run(new ModuleTarget(model), x, y, threat);
            // The library's first restart draws its start from stream 0 of the seed (AttackContext.Generator).
            using var generator = new TorchSharp.torch.Generator((ulong)(uint)seed * 1_000_003UL);
            var start = threat.RandomStart(x, generator);
            var (kept, fooled) = ReferenceApgd.Run(model, x, y, threat, start, 25);
            Assert.Equal(fooled, result.Examples.Select(e => e.Fooled).ToArray());
            Assert.True((kept - result.Adversarial).abs().max().item<float>() < 1e-5f);
        }
    }

    [Fact]
    public void ApgdIsAtLeastAsStrongAsFgsmOnATrainedModel()
    {
        using var scope = NewDisposeScope();
        var (model, x, y) = TrainedFixture.Get();
        var threat = ThreatModel.Linf(0.06);
        using var fgsm = new FgsmAttack().Run(new ModuleTarget(model), x, y, threat);
        using var apgd = new ApgdAttack { Steps = 20 }.Run(new ModuleTarget(model), x, y, threat);
        Assert.True(apgd.RobustAccuracy <= fgsm.RobustAccuracy);
    }
}
