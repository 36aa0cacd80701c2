using Maskbench.Evaluation.Pipeline;

namespace Maskbench.Tests.Evaluation.Pipeline;

public class AccuracyIntervalTests
{
    /// <summary>Textbook values of the 95% Wilson interval (e.g. 8 of 10: 0.490 to 0.943), and its ends at 0 and n.</summary>
    [Fact]
    public void MatchesKnownWilsonIntervals()
    {
        var a = AccuracyInterval.Of(8, 10);
        Assert.Equal(0.8, a.Accuracy, 12);
        Assert.Equal(0.4902, a.Low, 4);
        Assert.Equal(0.9433, a.High, 4);
        var none = AccuracyInterval.Of(0, 20);
        Assert.Equal(0, none.Low, 12);
        Assert.Equal(0.1611, none.High, 4);
        var all = AccuracyInterval.Of(20, 20);
        Assert.Equal(0.8389, all.Low, 4);
        Assert.Equal(1, all.High, 12);
        Assert.Equal("80.0% [49.0, 94.3]", a.ToString());
    }
}
