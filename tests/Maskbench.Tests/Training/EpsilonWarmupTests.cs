using Maskbench.Training;

namespace Maskbench.Tests.Training;

public class EpsilonWarmupTests
{
    [Fact]
    public void EpsilonGrowsLinearlyToItsTargetThenStays()
    {
        var options = new TrainingOptions { Epsilon = 0.04, EpsilonWarmupEpochs = 4 };
        Assert.Equal([0.01, 0.02, 0.03, 0.04, 0.04], Enumerable.Range(0, 5).Select(e => Math.Round(options.EpsilonAt(e), 12)));
        Assert.Equal(0.04, new TrainingOptions { Epsilon = 0.04 }.EpsilonAt(0));
        Assert.Throws<MaskbenchException>(() => new TrainingOptions { EpsilonWarmupEpochs = -1 }.Validate());
    }
}
