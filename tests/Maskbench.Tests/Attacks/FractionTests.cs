using Maskbench.Attacks;

namespace Maskbench.Tests.Attacks;

public class FractionTests
{
    [Theory]
    [InlineData("8/255", 8.0 / 255)]
    [InlineData(" 0.5 ", 0.5)]
    [InlineData("2 / 255", 2.0 / 255)]
    [InlineData("1e-3", 0.001)]
    [InlineData("0", 0.0)]
    public void ParsesDecimalsAndFractions(string text, double expected) => Assert.Equal(expected, Fraction.Parse(text));

    [Theory]
    [InlineData("8/0")]
    [InlineData("eight")]
    [InlineData("1/2/3")]
    [InlineData("")]
    public void RejectsWithAMessageNamingTheText(string text)
    {
        var e = Assert.Throws<MaskbenchException>(() => Fraction.Parse(text));
        Assert.Contains($"'{text}'", e.Message);
    }

    [Fact]
    public void ParsesLists() => Assert.Equal(new[] { 0, 2.0 / 255, 8.0 / 255 }, Fraction.ParseList("0, 2/255,8/255"));
}
