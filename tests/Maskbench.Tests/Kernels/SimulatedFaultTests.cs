using Maskbench.Kernels;
using Maskbench.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Maskbench.Tests.Kernels;

/// <summary>
/// The other failures seen on the AMD machine, simulated (channels-last with one input channel, bfloat16), and the
/// layout rule the shape key needs to see the first of them: the frozen forms stay right under each.
/// </summary>
[Collection(KernelStateCollection.Name)]
public class SimulatedFaultTests
{
    [Theory]
    [InlineData("none", SimulatedKernelFault.None)]
    [InlineData("backward-input", SimulatedKernelFault.BackwardInput)]
    [InlineData("channels-last-one-input,bfloat16", SimulatedKernelFault.ChannelsLastOneInput | SimulatedKernelFault.BFloat16)]
    [InlineData("amd-epyc", SimulatedKernelFault.AmdEpyc)]
    public void Fault_names_read_back(string name, SimulatedKernelFault fault)
    {
        Assert.Equal(fault, SimulatedFaults.Parse(name));
        Assert.Equal(fault, SimulatedFaults.Parse(SimulatedFaults.Name(fault)));
    }

    [Fact]
    public void An_unknown_fault_name_is_refused_in_one_line()
    {
        var e = Assert.Throws<MaskbenchException>(() => SimulatedFaults.Parse("backward-input,forward"));
        Assert.Contains("MASKBENCH_SIMULATE_KERNEL_FAULT=backward-input,forward", e.Message);
    }

    /// <summary>An NHWC-strided copy made without the layout rule under test: an NHWC buffer, viewed as NCHW.</summary>
    static Tensor ChannelsLast(Tensor t) => empty([t.shape[0], t.shape[2], t.shape[3], t.shape[1]]).permute(0, 3, 1, 2).copy_(t);

    static string Strides(Tensor t) => string.Join(",", t.stride());

    /// <summary>
    /// The oracle is libtorch itself: its convolution writes its output in the memory format it chose for the call
    /// (8 output channels and a map larger than 1×1 make the output's layout unambiguous), so the layout the shape key
    /// names for the input must be that one.
    /// </summary>
    [Theory]
    [InlineData(2, 1, 8, 8)]   // one input channel: contiguous either way to is_contiguous(); the case a stride-blind key gets wrong
    [InlineData(2, 3, 8, 8)]
    [InlineData(1, 1, 5, 3)]
    [InlineData(3, 16, 4, 4)]
    public void The_layout_in_the_shape_key_is_the_one_libtorch_runs(int n, int c, int h, int w)
    {
        using var scope = NewDisposeScope();
        var weight = randn([8, c, 3, 3]);
        foreach (var input in new[] { randn([n, c, h, w]), ChannelsLast(randn([n, c, h, w])) })
        {
            var output = nn.functional.conv2d(input, weight, padding: [1, 1]);
            var runs = ConvolutionShape.LayoutOf(output);
            string seen = $"input strides {Strides(input)}, output strides {Strides(output)}";
            Assert.True(runs != TensorLayout.Strided, seen);
            Assert.True(runs == ConvolutionShape.LayoutOf(input), $"{seen}: key {ConvolutionShape.LayoutOf(input)}, libtorch ran {runs}");
            // The probe's conversions give tensors of the layout asked for, holding the same values.
            foreach (var layout in new[] { TensorLayout.Contiguous, TensorLayout.ChannelsLast })
            {
                var converted = Layouts.To(input, layout);
                Assert.True(ConvolutionShape.LayoutOf(converted) == layout, $"{seen}: {layout} gave strides {Strides(converted)}");
                Assert.True(converted.eq(input).all().item<bool>());
                Assert.True(ConvolutionShape.LayoutOf(nn.functional.conv2d(converted, weight, padding: [1, 1])) == layout, $"{seen}: {layout}");
            }
        }
    }

    static ImageClassifier Model(string arch, int size, int channels, double width) =>
        RoutingFixtures.Model(arch, size, channels, width, seed: 11);

    static (Tensor Logits, Tensor Gradient) Run(Func<Tensor, Tensor> forward, Tensor x)
    {
        var leaf = x.detach().requires_grad_(true);
        var logits = forward(leaf);
        var upstream = ones_like(logits).cumsum(1).cos();
        var gradient = autograd.grad([logits], [leaf], [upstream])[0];
        return (logits.detach().to_type(ScalarType.Float64), gradient.to_type(ScalarType.Float64));
    }

    static double Relative(Tensor a, Tensor reference) => RoutingFixtures.Relative(a, reference);

    static (Tensor Logits, Tensor Gradient) Unchecked(Func<Tensor, Tensor> forward, Tensor x)
    {
        KernelChecks.TrustUnchecked = true;
        try { return Run(forward, x); }
        finally { KernelChecks.TrustUnchecked = false; }
    }

    /// <summary>
    /// A channels-last convolution with one input channel (an NHWC MNIST batch): the check sees the layout libtorch
    /// runs, so it probes the wrong kernel and reroutes it.
    /// </summary>
    [Fact]
    public void A_channels_last_one_channel_convolution_is_right_under_its_fault()
    {
        using var state = new KernelState(fault: SimulatedKernelFault.ChannelsLastOneInput, freshCache: true);
        using var scope = NewDisposeScope();
        var generator = new Generator(5);
        var x = ChannelsLast(rand([4, 1, 28, 28], generator: generator));
        var weight = randn([8, 1, 5, 5], generator: generator).mul(0.2);
        var bias = randn([8], generator: generator).mul(0.1);
        var geometry = ConvolutionGeometry.Same(1, 2);
        Tensor Forward(Tensor input) => CheckedConvolution.Apply(input, weight.to_type(input.dtype), bias.to_type(input.dtype), geometry);
        using var record = KernelChecks.Record();
        var routed = Run(Forward, x);
        var wrong = Unchecked(Forward, x);
        var use = Assert.Single(record.Provenance().Uses, u => u.Subject != "unchecked");
        Assert.Contains("nhwc", use.Subject);
        Assert.False(use.DirectPassed, use.ToString());
        Assert.NotEqual("direct", use.Route);
        var truth = Run(Forward, x.to_type(ScalarType.Float64));
        Assert.True(Relative(routed.Logits, truth.Logits) < 1e-4, $"output: {Relative(routed.Logits, truth.Logits)}");
        Assert.True(Relative(routed.Gradient, truth.Gradient) < 1e-4, $"input gradient: {Relative(routed.Gradient, truth.Gradient)}");
        Assert.True(Relative(wrong.Logits, truth.Logits) > 0.05, $"unchecked output: {Relative(wrong.Logits, truth.Logits)}");
    }

    /// <summary>
    /// bfloat16 search (attacks' <c>--precision bf16</c>) through a VGG whose 8- and 16-channel layers the fault breaks
    /// gives what right kernels give, up to the rounding of the other kernels the routes use.
    /// </summary>
    [Fact]
    public void A_bfloat16_frozen_vgg_is_right_under_the_bfloat16_fault()
    {
        using var scope = NewDisposeScope();
        using var model = Model("vgg11", 32, 3, 0.125);
        var x = rand([4, 3, 32, 32], generator: new Generator(6));
        using var frozen = model.Freeze(ScalarType.BFloat16)!;
        (Tensor Logits, Tensor Gradient) right;
        using (new KernelState(freshCache: true)) right = Run(frozen.Forward, x);
        using var state = new KernelState(fault: SimulatedKernelFault.BFloat16, freshCache: true);
        using var record = KernelChecks.Record();
        var routed = Run(frozen.Forward, x);
        var wrong = Unchecked(frozen.Forward, x);
        Assert.True(record.Provenance().Rerouted >= 2, record.Provenance().Summary);
        double routedLogits = Relative(routed.Logits, right.Logits), routedGradient = Relative(routed.Gradient, right.Gradient);
        double wrongLogits = Relative(wrong.Logits, right.Logits), wrongGradient = Relative(wrong.Gradient, right.Gradient);
        string seen = $"routed: logits {routedLogits}, gradient {routedGradient}; unchecked: {wrongLogits}, {wrongGradient}";
        Assert.True(Math.Max(wrongLogits, wrongGradient) > 0.2, seen);
        // Other kernels round bfloat16 sums in another order: differences of a few bfloat16 ulps (2^-8 relative), not more.
        Assert.True(routedLogits < 0.02 && routedGradient < 0.02, seen);
    }
}
