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
        TorchRuntime.EnsureLoaded();
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
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        var (model, x, y) = TrainedFixture.Get();
        // The blob quadrant of each class, as in a foreground mask.
        var labels = y.data<long>().ToArray();
        var maskValues = new float[labels.Length * 64];
        for (int i = 0; i < labels.Length; i++)
            for (int p = 0; p < 64; p++)
                maskValues[i * 64 + p] = (p / 8 >= labels[i] / 2 * 4 && p / 8 < labels[i] / 2 * 4 + 4 && p % 8 >= labels[i] % 2 * 4 && p % 8 < labels[i] % 2 * 4 + 4) ? 1 : 0;
        var threat = ThreatModel.Linf(0.25, tensor(maskValues).reshape(labels.Length, 1, 8, 8));
        using var stopping = new SquareAttack { Steps = 100, Seed = 5 }.Run(new ModuleTarget(model), x, y, threat);
        using var full = new SquareAttack { Steps = 100, Seed = 5, EarlyStop = false }.Run(new ModuleTarget(model), x, y, threat);
        Assert.Empty(threat.Check(x, stopping.Adversarial));
        Assert.True(stopping.FooledCount > 0);
        Assert.Equal(full.Examples.Select(e => e.Fooled), stopping.Examples.Select(e => e.Fooled));
        Assert.True(stopping.ForwardEvaluations < full.ForwardEvaluations);
    }

    [Fact]
    public void EnsembleIsNeverWeakerThanAnyMemberAndKeepsTheWorstCase()
    {
        TorchRuntime.EnsureLoaded();
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
}
