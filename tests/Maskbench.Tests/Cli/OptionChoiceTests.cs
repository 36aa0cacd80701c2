using Maskbench.Cli;

namespace Maskbench.Tests.Cli;

public class OptionChoiceTests
{
    [Theory]
    [InlineData("bf16", Maskbench.Attacks.Precision.Bf16)]
    [InlineData("FP32", Maskbench.Attacks.Precision.Fp32)]
    public void Names_an_enum_member_whatever_the_case(string text, Maskbench.Attacks.Precision expected) =>
        Assert.Equal(expected, OptionChoice.Parse<Maskbench.Attacks.Precision>(text, "--precision"));

    [Theory]
    [InlineData("fp16")]
    [InlineData("1")]    // an enum's number is not one of its names
    [InlineData("")]
    public void Refuses_anything_else_naming_the_option_and_the_choices(string text)
    {
        var error = Assert.Throws<MaskbenchException>(() => OptionChoice.Parse<Maskbench.Attacks.Precision>(text, "--precision"));
        Assert.Equal($"--precision {text}: expected one of fp32, bf16", error.Message);
    }
}
