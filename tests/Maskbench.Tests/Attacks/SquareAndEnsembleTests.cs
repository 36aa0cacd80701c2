using Maskbench.Attacks;
using Maskbench.Runtime;
using static TorchSharp.torch;

namespace Maskbench.Tests.Attacks;

/// <summary>Shares the trained fixture model, which a bf16 attack converts in place: these classes run one at a time.</summary>
[Collection(TrainedFixture.Collection)]
public class SquareAndEnsembleTests
{
    [Theory]
    [InlineData(0, 10000, 0.8)]
    [InlineData(10, 10000, 0.8)]
    [InlineData(11, 10000, 0.4)]
    [InlineData(200, 10000, 0.2)]
    [InlineData(201, 10000, 0.1)]
    [InlineData(9999, 10000, 0.8 / 512)]
    [InlineData(5, 1000, 0.4)]      // rescaled: iteration 5 of 1000 is iteration 50 of 10000
    public void SquareWindowScheduleHalvesAtThePapersIterations(int iteration, int steps, double expected) =>
        Assert.Equal(expected, SquareAttack.WindowFraction(0.8, iteration, steps), 12);

    [Fact]
    public void SquareLowersAccuracyOfATrainedModelWithoutAnyGradient()
    {
        using var scope = NewDisposeScope();
        var (model, x, y) = TrainedFixture.Get();
        var target = new CountingTarget(new ModuleTarget(model));
        var threat = ThreatModel.Linf(0.15);
        using var result = new SquareAttack { Steps = 200, Seed = 2 }.Run(target, x, y, threat);
        double natural = AttackFixtures.Labels(model, x).eq(y).to_type(ScalarType.Float64).mean().item<double>();
        Assert.True(natural > 0.9, $"the fixture model should be accurate, got {natural}");
        Assert.True(result.RobustAccuracy < natural - 0.2, $"square: {result.RobustAccuracy} vs natural {natural}");
        Assert.Equal(0, target.GradientCalls);
        Assert.Equal(0, result.GradientEvaluations);
        Assert.True(target.ForwardCalls > 0);
        Assert.Empty(threat.Check(x, result.Adversarial));
    }

    [Fact]
    public void SquareWithAMaskChangesOnlyMaskPixelsAndStillFools()
    {
        using var scope = NewDisposeScope();
        var (model, x, y) = TrainedFixture.Get();
        // The blob quadrant of each class, as in a foreground mask.
        var labels = y.data<long>().ToArray();
        var maskValues = new float[labels.Length * 64];
        for (int i = 0; i < labels.Length; i++)
            for (int p = 0; p < 64; p++)
                maskValues[i * 64 + p] = (p / 8 >= labels[i] / 2 * 4 && p / 8 < labels[i] / 2 * 4 + 4 && p % 8 >= labels[i] % 2 * 4
                    && p % 8 < labels[i] % 2 * 4 + 4) ? 1 : 0;
        var threat = ThreatModel.Linf(0.25, tensor(maskValues).reshape(labels.Length, 1, 8, 8));
        using var stopping = new SquareAttack { Steps = 100, Seed = 5 }.Run(new ModuleTarget(model), x, y, threat);
        using var full = new SquareAttack { Steps = 100, Seed = 5, EarlyStop = false }.Run(new ModuleTarget(model), x, y, threat);
        Assert.Empty(threat.Check(x, stopping.Adversarial));
        Assert.True(stopping.FooledCount > 0);
        Assert.Equal(full.Examples.Select(e => e.Fooled), stopping.Examples.Select(e => e.Fooled));
        Assert.True(stopping.ForwardEvaluations < full.ForwardEvaluations);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(6)]
    [InlineData(7)]
    public void SquarePatternHasUnitNormOppositeHalvesAndItsPeaksAtTheHalvesCentres(int s)
    {
        var pattern = SquarePattern.Create(s, transpose: false);
        Assert.Equal(1.0, Math.Sqrt(pattern.Sum(v => (double)v * v)), 5);
        int upper = s / 2;
        for (int r = 0; r < s; r++)
            for (int c = 0; c < s; c++)
                Assert.True(r < upper ? pattern[r * s + c] > 0 : pattern[r * s + c] < 0, $"cell ({r}, {c}) of {s}");
        // The largest magnitude of the lower half sits at its centre; rings fall off outward along the centre row.
        int lower = s - upper, centreRow = upper + lower / 2, centre = s / 2;
        float peak = pattern.Skip(upper * s).Min();
        Assert.Equal(peak, pattern[centreRow * s + centre]);
        for (int c = centre; c + 1 < s; c++) Assert.True(pattern[centreRow * s + c] <= pattern[centreRow * s + c + 1]);
        var transposed = SquarePattern.Create(s, transpose: true);
        for (int r = 0; r < s; r++)
            for (int c = 0; c < s; c++) Assert.Equal(pattern[r * s + c], transposed[c * s + r]);
    }

    [Fact]
    public void SquareL2LowersAccuracyWithoutGradientsAndStaysInTheBall()
    {
        using var scope = NewDisposeScope();
        var (model, x, y) = TrainedFixture.Get();
        var target = new CountingTarget(new ModuleTarget(model));
        var threat = ThreatModel.L2(3.0);   // on these 8x8 images PGD-L2 needs about 2 to fool all
        using var result = new SquareAttack { Steps = 200, Seed = 2 }.Run(target, x, y, threat);
        double natural = AttackFixtures.Labels(model, x).eq(y).to_type(ScalarType.Float64).mean().item<double>();
        Assert.True(result.RobustAccuracy < natural - 0.2, $"square L2: {result.RobustAccuracy} vs natural {natural}");
        Assert.Equal(0, target.GradientCalls);
        Assert.Equal(0, result.GradientEvaluations);
        Assert.Empty(threat.Check(x, result.Adversarial));
        double largest = (result.Adversarial - x).reshape(x.shape[0], -1).norm(1, keepdim: false, p: 2).max().item<float>();
        Assert.True(largest <= 3.0 + 1e-5, $"largest L2 norm {largest}");
    }

    [Fact]
    public void SquareL2WithAMaskChangesOnlyMaskPixelsAndEarlyStopKeepsTheOutcome()
    {
        using var scope = NewDisposeScope();
        var (model, x, y) = TrainedFixture.Get();
        var mask = AttackFixtures.Masks(8, (int)x.shape[0]);
        var threat = ThreatModel.L2(4.0, mask);
        using var stopping = new SquareAttack { Steps = 100, Seed = 5 }.Run(new ModuleTarget(model), x, y, threat);
        using var full = new SquareAttack { Steps = 100, Seed = 5, EarlyStop = false }.Run(new ModuleTarget(model), x, y, threat);
        Assert.Empty(threat.Check(x, stopping.Adversarial));
        Assert.Equal(0f, ((stopping.Adversarial - x) * (1 - mask)).abs().max().item<float>());
        Assert.True(stopping.FooledCount > 0);
        Assert.Equal(full.Examples.Select(e => e.Fooled), stopping.Examples.Select(e => e.Fooled));
        Assert.True(stopping.ForwardEvaluations < full.ForwardEvaluations);
    }

    [Fact]
    public void EnsembleIsNeverWeakerThanAnyMemberAndKeepsTheWorstCase()
    {
        using var scope = NewDisposeScope();
        var (model, x, y) = TrainedFixture.Get();
        var threat = ThreatModel.Linf(0.05, AttackFixtures.Masks(3, (int)x.shape[0]));
        IAttack[] members =
        [
            new FgsmAttack(),
            new PgdAttack { Steps = 10, Seed = 4 },
            new ApgdAttack { Steps = 10, Loss = AttackLoss.Dlr, Seed = 4 },
            new SquareAttack { Steps = 60, Seed = 4 },
        ];
        var ensemble = new AttackEnsemble("test-suite", members);
        using var combined = ensemble.Run(new ModuleTarget(model), x, y, threat);
        Assert.Empty(threat.Check(x, combined.Adversarial));
        foreach (var member in members)
        {
            using var alone = member.Run(new ModuleTarget(model), x, y, threat);
            for (int i = 0; i < alone.Count; i++)
                if (alone.Examples[i].Fooled) Assert.True(combined.Examples[i].Fooled, $"{member.Name} fooled example {i}, the ensemble did not");
            Assert.True(combined.RobustAccuracy <= alone.RobustAccuracy);
        }
        Assert.All(combined.Examples.Where(e => e.Fooled), e => Assert.NotNull(e.FooledBy));
    }

    /// <summary>
    /// Members run over the open rows gathered in small batches give each row the search it gets in one batch: with
    /// no random draws (FGSM, PGD without random start) and a float64 network, whose sums do not depend on the batch,
    /// every adversarial input and verdict is the same, while the threat model holds and masks stay per row.
    /// </summary>
    [Fact]
    public void Members_over_gathered_open_rows_give_each_row_the_search_it_gets_in_one_batch()
    {
        using var scope = NewDisposeScope();
        using var model = AttackFixtures.RandomConvNet64(31);
        var (x, _) = TrainedFixture.Data(3, 24);
        Tensor y;
        using (no_grad()) y = model.call(x).argmax(1);   // every row starts correct, so every row is attacked
        var threat = ThreatModel.Linf(0.02, AttackFixtures.Masks(3, (int)x.shape[0]));
        IAttack[] members = [new FgsmAttack(), new PgdAttack { Steps = 8, RandomStart = false }];
        using var whole = new AttackEnsemble("one batch", members).Run(new ModuleTarget(model), x, y, threat);
        using var gathered = new AttackEnsemble("gathered", members) { MemberBatch = 3 }.Run(new ModuleTarget(model), x, y, threat);
        Assert.Empty(threat.Check(x, gathered.Adversarial));
        Assert.InRange(whole.FooledCount, 1, whole.Count - 1);   // both members have work, and the second gets a thinned set
        Assert.Equal(whole.Examples.Select(e => (e.Fooled, e.FooledBy)), gathered.Examples.Select(e => (e.Fooled, e.FooledBy)));
        Assert.Equal(0f, (whole.Adversarial - gathered.Adversarial).abs().max().item<float>());
    }
}
