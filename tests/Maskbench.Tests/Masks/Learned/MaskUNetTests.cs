using Maskbench.Masks.Learned;
using Maskbench.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Maskbench.Tests.Masks.Learned;

public class MaskUNetTests
{
    static MaskUNet Create(int seed, MaskerSpec spec)
    {
        manual_seed(seed);
        var net = new MaskUNet(spec);
        // Non-trivial batch-norm statistics, so eval mode is not the identity normalization.
        using (no_grad())
            foreach (var (name, buffer) in net.named_buffers())
            {
                if (name.EndsWith("running_mean")) buffer.copy_(randn_like(buffer) * 0.1);
                if (name.EndsWith("running_var")) buffer.copy_(rand_like(buffer) + 0.5);
            }
        net.eval();
        return net;
    }

    [Fact]
    public void DefaultMaskerHasAFewHundredThousandParametersAndMapsImagesToMaskLogits()
    {
        using var net = Create(1, new MaskerSpec { InputSize = 32 });
        Assert.InRange(net.ParameterCount, 200_000, 900_000);
        using var x = rand(2, 3, 32, 32);
        using var logits = net.forward(x);
        Assert.Equal(new long[] { 2, 1, 32, 32 }, logits.shape);
        var keys = net.state_dict().Keys.ToList();
        Assert.Contains("down.0.0.weight", keys);
        Assert.Contains("bottleneck.4.running_var", keys);
        Assert.Contains("up.2.weight", keys);
        Assert.Contains("decode.0.3.weight", keys);
        Assert.Contains("head.bias", keys);
    }

    [Fact]
    public void RejectsSidesTheDepthCannotPool()
    {
        Assert.Throws<MaskbenchException>(new MaskerSpec { InputSize = 12, Depth = 3 }.Validate);
        Assert.Throws<MaskbenchException>(new MaskerSpec { InputSize = 4, Depth = 3 }.Validate);
        new MaskerSpec { InputSize = 12, Depth = 2 }.Validate();
    }

    /// <summary>
    /// The input gradient of a float32 U-Net agrees with the same network in float64, and the float64 gradient agrees with
    /// central finite differences of the float64 function (in eval mode, where the network is a fixed function).
    /// </summary>
    [Fact]
    public void InputGradientMatchesFloat64AndFiniteDifferences()
    {
        var spec = new MaskerSpec { InputSize = 8, BaseWidth = 4, Depth = 2 };
        using var net = Create(3, spec);
        using var x = rand(new long[] { 2, 3, 8, 8 }, generator: new Generator(11));
        using var weights = randn(new long[] { 2, 1, 8, 8 }, generator: new Generator(12));

        static Tensor Gradient(nn.Module<Tensor, Tensor> module, Tensor input, Tensor w)
        {
            var point = input.detach().requires_grad_(true);
            var objective = (module.call(point) * w).sum();
            return autograd.grad([objective], [point])[0].detach();
        }

        using var g32 = Gradient(net, x, weights);
        // The same weights and statistics, copied: a second seeded creation could draw other numbers when a test running
        // beside this one uses libtorch's global generator between the seeding and the draws.
        using var net64 = Create(3, spec);
        using (no_grad())
            foreach (var (name, value) in net.state_dict()) net64.state_dict()[name].copy_(value);
        net64.to(ScalarType.Float64);
        using var x64 = x.to_type(ScalarType.Float64);
        using var w64 = weights.to_type(ScalarType.Float64);
        using var g64 = Gradient(net64, x64, w64);
        double scale = g64.abs().max().item<double>();
        Assert.True(scale > 1e-9, "the gradient should not vanish");
        double err32 = (g32.to_type(ScalarType.Float64) - g64).abs().max().item<double>();
        Assert.True(err32 <= 1e-4 * scale, $"float32 gradient differs from float64 by {err32} (scale {scale})");

        // Finite differences on a sample of coordinates (the ReLU kinks are measure-zero; h is small).
        const double h = 1e-6;
        var flat = x64.flatten();
        var rng = new Random(2);
        using var noGrad = no_grad();
        for (int trial = 0; trial < 12; trial++)
        {
            long i = rng.Next((int)flat.numel());
            using var plus = flat.clone();
            using var minus = flat.clone();
            plus[i] = plus[i] + h;
            minus[i] = minus[i] - h;
            double fPlus = (net64.forward(plus.reshape(x64.shape)) * w64).sum().item<double>();
            double fMinus = (net64.forward(minus.reshape(x64.shape)) * w64).sum().item<double>();
            double numeric = (fPlus - fMinus) / (2 * h);
            double analytic = g64.flatten()[i].item<double>();
            Assert.True(Math.Abs(numeric - analytic) <= 1e-5 * scale, $"coordinate {i}: finite difference {numeric}, autograd {analytic}");
        }
    }
}
