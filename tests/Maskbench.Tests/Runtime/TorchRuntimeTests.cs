using Maskbench.Runtime;
using TorchSharp;

namespace Maskbench.Tests.Runtime;

public class TorchRuntimeTests
{
    [Fact]
    public void ConvolutionAndAutogradRunAndAgreeWithHandComputedValues()
    {
        TorchRuntime.EnsureLoaded();
        using var scope = torch.NewDisposeScope();
        // A 3x3 all-ones kernel over a 4x4 ramp: each output is the sum of a 3x3 window.
        var x = torch.arange(16, dtype: torch.float32).reshape(1, 1, 4, 4).requires_grad_(true);
        var w = torch.ones(1, 1, 3, 3);
        var y = torch.nn.functional.conv2d(x, w);
        Assert.Equal(new float[] { 45, 54, 81, 90 }, y.flatten().data<float>().ToArray());
        y.sum().backward();
        // d(sum of windows)/dx counts how many windows cover each pixel.
        Assert.Equal(new float[] { 1, 2, 2, 1, 2, 4, 4, 2, 2, 4, 4, 2, 1, 2, 2, 1 }, x.grad!.flatten().data<float>().ToArray());
    }

    [Fact]
    public void UnknownDeviceNameIsAUserError()
    {
        var e = Assert.Throws<MaskbenchException>(() => TorchRuntime.SelectDevice("tpu"));
        Assert.Contains("--device tpu", e.Message);
        Assert.Equal(torch.CPU.type, TorchRuntime.SelectDevice("cpu").type);
    }
}
