using Maskbench.Training;

namespace Maskbench.Tests.Training;

public class LearningRatesTests
{
    [Fact]
    public void Multistep_divides_by_ten_at_half_and_three_quarters()
    {
        var o = new TrainingOptions { Epochs = 8, LearningRate = 0.1 };
        double[] expected = [0.1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.001, 0.001];
        for (int e = 0; e < 8; e++) Assert.Equal(expected[e], LearningRates.At(o, e, 5, 10), 12);
    }

    [Fact]
    public void Cosine_goes_from_the_base_rate_to_zero_per_iteration()
    {
        var o = new TrainingOptions { Epochs = 2, LearningRate = 0.2, Schedule = LearningRateSchedule.Cosine };
        Assert.Equal(0.2, LearningRates.At(o, 0, 0, 10), 12);
        Assert.Equal(0.1, LearningRates.At(o, 1, 0, 10), 12);
        Assert.Equal(0.1 * (1 + Math.Cos(Math.PI * 19 / 20)), LearningRates.At(o, 1, 9, 10), 12);
    }
}
