using Maskbench.Kernels;
using static TorchSharp.torch;

namespace Maskbench.Tests.Kernels;

/// <summary>
/// The unfolded convolution against libtorch's float64 conv2d (its own im2col code, not oneDNN and not ours): forward,
/// input, weight and bias gradients, over geometries that move every index of the unfolding and folding.
/// </summary>
[Collection(KernelStateCollection.Name)]
public class UnfoldedConvolutionTests
{
    static Tensor ChannelsLast(Tensor t) => t.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);

    /// <summary>Largest error relative to the reference's largest magnitude.</summary>
    static double Relative(Tensor tested, Tensor reference) =>
        (tested.to_type(ScalarType.Float64) - reference).abs().max().item<double>() / reference.abs().max().item<double>();

    /// <summary>Output and the three gradients of ⟨g, conv(x, w, b)⟩ computed by <paramref name="convolve"/>.</summary>
    static Tensor[] Results(Func<Tensor, Tensor, Tensor, Tensor> convolve, Tensor x, Tensor w, Tensor b, Tensor upstream)
    {
        var (xl, wl, bl) = (x.detach().requires_grad_(true), w.detach().requires_grad_(true), b.detach().requires_grad_(true));
        var y = convolve(xl, wl, bl);
        var grads = autograd.grad([y], [xl, wl, bl], [upstream.to_type(y.dtype)]);
        return [y.detach(), grads[0], grads[1], grads[2]];
    }

    [Theory]
    [InlineData(3, 3, 1, 1, 1, 1, 1, 1, 5, 6)]   // VGG's 3x3 "same"
    [InlineData(3, 3, 2, 2, 1, 1, 1, 1, 7, 7)]   // stride 2
    [InlineData(3, 2, 1, 2, 0, 2, 1, 1, 6, 5)]   // non-square kernel, mixed stride and padding
    [InlineData(3, 3, 1, 1, 2, 1, 2, 2, 6, 6)]   // dilation 2
    [InlineData(1, 1, 1, 1, 0, 0, 1, 1, 3, 4)]   // 1x1
    [InlineData(3, 3, 1, 1, 1, 1, 1, 1, 2, 2)]   // a 2x2 map: every window mostly padding
    public void Matches_float64_conv2d_in_float64(int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, int h, int width)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(11);
        var g = new ConvolutionGeometry(sh, sw, ph, pw, dh, dw);
        foreach (bool channelsLast in new[] { false, true })
        {
            var x = randn([3, 5, h, width], ScalarType.Float64, generator: generator);
            var w = randn([4, 5, kh, kw], ScalarType.Float64, generator: generator);
            var b = randn([4], ScalarType.Float64, generator: generator);
            if (channelsLast) x = ChannelsLast(x);
            var upstream = randn([3, 4, g.OutputSize(h, kh, true), g.OutputSize(width, kw, false)], ScalarType.Float64, generator: generator);
            var reference = Results((xi, wi, bi) => nn.functional.conv2d(xi, wi, bi, g.Strides, g.Paddings, g.Dilations), x, w, b, upstream);
            string[] names = ["output", "input gradient", "weight gradient", "bias gradient"];
            foreach (var (route, convolve) in new (string, Func<Tensor, Tensor, Tensor, Tensor>)[]
            {
                ("unfolded", (xi, wi, bi) => UnfoldedConvolution.Apply(xi, wi, bi, g)),
                ("unfolded-weight", (xi, wi, bi) => UnfoldedConvolution.ApplyWithUnfoldedWeightGradient(xi, wi, bi, g)),
            })
            {
                var tested = Results(convolve, x, w, b, upstream);
                for (int i = 0; i < 4; i++)
                {
                    Assert.Equal(reference[i].shape, tested[i].shape);
                    double error = Relative(tested[i], reference[i]);
                    Assert.True(error < 1e-12, $"{route}, {names[i]} (channels-last {channelsLast}): {error:G3}");
                }
            }
        }
    }

    /// <summary>
    /// A channels-last input that is a view starting inside its storage (a slice of a larger batch), without padding:
    /// the windows are read straight from the input's own memory, so they must start where the view does.
    /// </summary>
    [Fact]
    public void Reads_a_sliced_input_from_where_the_slice_starts()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(12);
        var g = new ConvolutionGeometry(1, 1, 0, 0);
        var x = ChannelsLast(randn([5, 4, 6, 6], ScalarType.Float64, generator: generator)).narrow(0, 2, 3);
        Assert.True(x.storage_offset() > 0);
        var w = randn([3, 4, 3, 3], ScalarType.Float64, generator: generator);
        var b = randn([3], ScalarType.Float64, generator: generator);
        var upstream = randn([3, 3, 4, 4], ScalarType.Float64, generator: generator);
        var reference = Results((xi, wi, bi) => nn.functional.conv2d(xi, wi, bi, g.Strides, g.Paddings, g.Dilations), x, w, b, upstream);
        foreach (var tested in new[]
        {
            Results((xi, wi, bi) => UnfoldedConvolution.Apply(xi, wi, bi, g), x, w, b, upstream),
            Results((xi, wi, bi) => UnfoldedConvolution.ApplyWithUnfoldedWeightGradient(xi, wi, bi, g), x, w, b, upstream),
        })
            for (int i = 0; i < 4; i++) Assert.True(Relative(tested[i], reference[i]) < 1e-12, $"result {i}: {Relative(tested[i], reference[i]):G3}");
    }

    [Fact]
    public void Computes_only_the_gradients_asked_for_and_without_a_bias()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(5);
        var g = ConvolutionGeometry.Same(1, 1);
        var x = randn([2, 3, 4, 4], ScalarType.Float64, generator: generator);
        var w = randn([6, 3, 3, 3], ScalarType.Float64, generator: generator);
        var upstream = randn([2, 6, 4, 4], ScalarType.Float64, generator: generator);
        var xl = x.detach().requires_grad_(true);
        var gx = autograd.grad([UnfoldedConvolution.Apply(xl, w, null, g)], [xl], [upstream])[0];
        var xr = x.detach().requires_grad_(true);
        var gxReference = autograd.grad([nn.functional.conv2d(xr, w, null, g.Strides, g.Paddings)], [xr], [upstream])[0];
        Assert.True(Relative(gx, gxReference) < 1e-12);
        var wl = w.detach().requires_grad_(true);
        var gw = autograd.grad([UnfoldedConvolution.Apply(x, wl, null, g)], [wl], [upstream])[0];
        var wr = w.detach().requires_grad_(true);
        var gwReference = autograd.grad([nn.functional.conv2d(x, wr, null, g.Strides, g.Paddings)], [wr], [upstream])[0];
        Assert.True(Relative(gw, gwReference) < 1e-12);
        // The output is a tensor of its own: an in-place ReLU on it (as the models run) keeps the gradient right.
        var xi = x.detach().requires_grad_(true);
        var gxRelu = autograd.grad([UnfoldedConvolution.Apply(xi, w, null, g).relu_()], [xi], [upstream])[0];
        var xir = x.detach().requires_grad_(true);
        var gxReluReference = autograd.grad([nn.functional.conv2d(xir, w, null, g.Strides, g.Paddings).relu()], [xir], [upstream])[0];
        Assert.True(Relative(gxRelu, gxReluReference) < 1e-12);
        // No gradient at all: a plain forward pass.
        using (no_grad())
            Assert.True(Relative(UnfoldedConvolution.Apply(x, w, null, g), nn.functional.conv2d(x, w, null, g.Strides, g.Paddings)) < 1e-12);
    }

    [Fact]
    public void In_bfloat16_agrees_with_float64_within_rounding_on_vgg_shapes()
    {
        // Each product accumulates in float32 and rounds once (the input gradient's window sums in float32): errors of a
        // few bfloat16 ulps relative to the largest value (2^-8 ≈ 3.9e-3), as libtorch's own kernels show.
        using var state = new KernelState(freshCache: true);
        foreach (var (cin, cout, side) in new[] { (256, 512, 4), (512, 512, 2), (64, 64, 4) })
        {
            var shape = new ConvolutionShape("bfloat16", TensorLayout.ChannelsLast, TensorLayout.Contiguous, 16, cin, cout, side, side, 3, 3,
                ConvolutionGeometry.Same(1, 1), true, get_num_threads());
            var result = ConvolutionProbe.Run(shape, ConvolutionRoute.Unfolded.Instance);
            Assert.True(result.Worst < 8e-3, $"{shape}: {result}");
        }
        foreach (var (cin, cout, side) in new[] { (128, 128, 2), (64, 128, 4) })
        {
            var shape = new ConvolutionShape("bfloat16", TensorLayout.ChannelsLast, TensorLayout.Contiguous, 64, cin, cout, side, side, 3, 3,
                ConvolutionGeometry.Same(1, 1), true, get_num_threads());
            var result = ConvolutionProbe.Run(shape, ConvolutionRoute.UnfoldedWeight.Instance);
            Assert.True(result.Worst < 8e-3, $"{shape}: {result}");
        }
    }

    /// <summary>
    /// The unfolded-weight route's output and input gradient are libtorch's own conv2d's, bit for bit (its weight
    /// gradient is checked against float64 above); a bfloat16 training shape.
    /// </summary>
    [Fact]
    public void Unfolded_weight_gives_libtorchs_own_output_and_input_gradient()
    {
        using var state = new KernelState();   // no simulated fault: the route runs libtorch's kernels as they are
        using var scope = NewDisposeScope();
        using var generator = new Generator(13);
        var g = ConvolutionGeometry.Same(1, 1);
        var x = ChannelsLast(randn([16, 32, 4, 4], generator: generator)).to_type(ScalarType.BFloat16);
        var w = (randn([48, 32, 3, 3], generator: generator) * 0.05).to_type(ScalarType.BFloat16);
        var b = (randn([48], generator: generator) * 0.1).to_type(ScalarType.BFloat16);
        var upstream = ChannelsLast(randn([16, 48, 4, 4], generator: generator)).to_type(ScalarType.BFloat16);
        var direct = Results((xi, wi, bi) => nn.functional.conv2d(xi, wi, bi, g.Strides, g.Paddings), x, w, b, upstream);
        var tested = Results((xi, wi, bi) => UnfoldedConvolution.ApplyWithUnfoldedWeightGradient(xi, wi, bi, g), x, w, b, upstream);
        Assert.True(direct[0].eq(tested[0]).all().item<bool>(), "output");
        Assert.True(direct[1].eq(tested[1]).all().item<bool>(), "input gradient");
        Assert.True(Relative(tested[2], direct[2].to_type(ScalarType.Float64)) < 2e-2, "weight gradient");
    }

    /// <summary>
    /// The unfolded-weight route runs libtorch's own kernels for the output and input gradient, so a wrong kernel there
    /// shows in its probe (simulated bfloat16 faults: the input gradient is wrong for output channels not a multiple of
    /// 32) and the check takes another route.
    /// </summary>
    [Fact]
    public void Unfolded_weight_fails_its_probe_where_libtorchs_own_input_gradient_is_wrong()
    {
        using var state = new KernelState(fault: SimulatedKernelFault.BFloat16, freshCache: true);
        var shape = new ConvolutionShape("bfloat16", TensorLayout.ChannelsLast, TensorLayout.Contiguous, 64, 144, 144, 2, 2, 3, 3,
            ConvolutionGeometry.Same(1, 1), true, get_num_threads());
        var probe = ConvolutionProbe.Run(shape, ConvolutionRoute.UnfoldedWeight.Instance);
        Assert.False(probe.Passed, probe.ToString());
        Assert.True(probe.InputGradient > 0.1, probe.ToString());
        var verdict = KernelChecks.For(shape, weightGradient: true);
        Assert.IsNotType<ConvolutionRoute.UnfoldedWeight>(verdict.Route);
        Assert.True(verdict.Chosen.Passed);
    }

    [Fact]
    public void Chosen_where_preferred_and_agreeing_never_under_reroute_or_for_other_shapes()
    {
        static ConvolutionShape Shape(string dtype, int side, int channels = 256, int batch = 16, int? inChannels = null) => new(dtype,
            TensorLayout.ChannelsLast, TensorLayout.Contiguous, batch, inChannels ?? channels, channels, side, side, 3, 3,
            ConvolutionGeometry.Same(1, 1), true, get_num_threads());
        using (var state = new KernelState(freshCache: true))
        {
            // With the weight's gradient (training): the weight gradient unfolded from 128 channels on 2x2 maps, from 256 (or 64
            // in and 128 out at batch 64) on 4x4; all three where the input-gradient rule below takes them.
            Assert.IsType<ConvolutionRoute.UnfoldedWeight>(KernelChecks.For(Shape("bfloat16", 4), weightGradient: true).Route);
            Assert.IsType<ConvolutionRoute.UnfoldedWeight>(KernelChecks.For(Shape("bfloat16", 2, channels: 128), weightGradient: true).Route);
            Assert.IsType<ConvolutionRoute.UnfoldedWeight>(KernelChecks.For(Shape("bfloat16", 4, channels: 128, batch: 64, inChannels: 64),
                weightGradient: true).Route);
            Assert.IsType<ConvolutionRoute.Unfolded>(KernelChecks.For(Shape("bfloat16", 2), weightGradient: true).Route);
            Assert.IsType<ConvolutionRoute.Unfolded>(KernelChecks.For(Shape("bfloat16", 4, channels: 512), weightGradient: true).Route);
            Assert.IsType<ConvolutionRoute.Direct>(KernelChecks.For(Shape("bfloat16", 4, channels: 128, inChannels: 64), weightGradient: true).Route);
            Assert.IsType<ConvolutionRoute.Direct>(KernelChecks.For(Shape("bfloat16", 2, channels: 64, batch: 64), weightGradient: true).Route);
            Assert.IsType<ConvolutionRoute.Direct>(KernelChecks.For(Shape("bfloat16", 8), weightGradient: true).Route);
            // Input gradient at most (attacks): from 256 channels on 2x2 maps, from 512 on 4x4.
            Assert.IsType<ConvolutionRoute.Unfolded>(KernelChecks.For(Shape("bfloat16", 2)).Route);
            Assert.IsType<ConvolutionRoute.Unfolded>(KernelChecks.For(Shape("bfloat16", 4, channels: 512)).Route);
            Assert.IsType<ConvolutionRoute.Direct>(KernelChecks.For(Shape("bfloat16", 4)).Route);
            Assert.IsType<ConvolutionRoute.Direct>(KernelChecks.For(Shape("bfloat16", 2, channels: 128)).Route);
            // float32: 2x2 maps from 256 channels, either way.
            Assert.IsType<ConvolutionRoute.Direct>(KernelChecks.For(Shape("float32", 4), weightGradient: true).Route);
            Assert.IsType<ConvolutionRoute.Unfolded>(KernelChecks.For(Shape("float32", 2)).Route);
            Assert.IsType<ConvolutionRoute.Unfolded>(KernelChecks.For(Shape("float32", 2), weightGradient: true).Route);
            Assert.IsType<ConvolutionRoute.Direct>(KernelChecks.For(Shape("float32", 2, channels: 128), weightGradient: true).Route);
            Assert.IsType<ConvolutionRoute.Direct>(KernelChecks.For(Shape("bfloat16", 2, batch: 2), weightGradient: true).Route);
        }
        using (var state = new KernelState(KernelPolicy.Reroute, freshCache: true))
            Assert.IsType<ConvolutionRoute.PaddedChannels>(KernelChecks.For(Shape("bfloat16", 2)).Route);
        Assert.Equal(ConvolutionRoute.Unfolded.Instance, ConvolutionRoute.Parse("unfolded"));
        Assert.Equal(ConvolutionRoute.UnfoldedWeight.Instance, ConvolutionRoute.Parse("unfolded-weight"));
    }

    [Fact]
    public void A_checked_convolution_unfolds_the_weight_gradient_for_training_and_takes_libtorchs_own_for_an_attack_on_the_same_shape()
    {
        // bfloat16 128 -> 128 on a 2x2 map, batch 16: a training pass (weight requires grad) computes the weight's gradient,
        // an attack's pass on frozen weights, or any pass under no_grad, at most the input's.
        using var state = new KernelState(freshCache: true);
        using var scope = NewDisposeScope();
        using var generator = new Generator(5);
        var x = ChannelsLast(randn([16, 128, 2, 2], generator: generator)).to_type(ScalarType.BFloat16);
        var w = (randn([128, 128, 3, 3], generator: generator) * 0.05).to_type(ScalarType.BFloat16);
        var b = zeros(128, ScalarType.BFloat16);
        var g = ConvolutionGeometry.Same(1, 1);
        string RouteOf(Tensor weight, bool gradients)
        {
            using var record = KernelChecks.Record();
            using (var mode = gradients ? enable_grad() : no_grad())
                CheckedConvolution.Apply(x.detach().requires_grad_(true), weight, b, g);
            return Assert.Single(record.Verdicts).Route.Name;
        }
        Assert.Equal("unfolded-weight", RouteOf(w.detach().requires_grad_(true), gradients: true));
        Assert.Equal("direct", RouteOf(w.detach(), gradients: true));
        Assert.Equal("direct", RouteOf(w.detach().requires_grad_(true), gradients: false));
    }
}
