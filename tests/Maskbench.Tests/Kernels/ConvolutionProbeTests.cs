using Maskbench.Kernels;
using Maskbench.Runtime;
using static TorchSharp.torch;

namespace Maskbench.Tests.Kernels;

[Collection(KernelStateCollection.Name)]
public class ConvolutionProbeTests
{
    /// <summary>
    /// The oracle itself: libtorch's float64 convolution (what every probe compares with) against a direct sum written
    /// out here, for the output, the input gradient and the weight gradient of ⟨g, conv(x, w)⟩.
    /// </summary>
    [Theory]
    [InlineData(3, 1, 1, 1)]
    [InlineData(5, 1, 2, 1)]
    [InlineData(1, 2, 0, 1)]
    [InlineData(3, 2, 1, 1)]
    [InlineData(3, 1, 2, 2)]
    public void Float64_reference_equals_a_direct_sum(int k, int stride, int pad, int dilation)
    {
        using var scope = NewDisposeScope();
        int n = 2, cin = 3, cout = 5, h = 7, w = 6;
        var g = new ConvolutionGeometry(stride, stride, pad, pad, dilation, dilation);
        int ho = (int)g.OutputSize(h, k, true), wo = (int)g.OutputSize(w, k, false);
        var rng = new Random(4);
        double[] R(int count) => Enumerable.Range(0, count).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        double[] xs = R(n * cin * h * w), ws = R(cout * cin * k * k), gs = R(n * cout * ho * wo);
        var y = new double[n * cout * ho * wo];
        var gx = new double[xs.Length];
        var gw = new double[ws.Length];
        for (int b = 0; b < n; b++)
            for (int o = 0; o < cout; o++)
                for (int i = 0; i < ho; i++)
                    for (int j = 0; j < wo; j++)
                    {
                        int yi = ((b * cout + o) * ho + i) * wo + j;
                        for (int c = 0; c < cin; c++)
                            for (int p = 0; p < k; p++)
                                for (int q = 0; q < k; q++)
                                {
                                    int r = i * stride - pad + p * dilation, s = j * stride - pad + q * dilation;
                                    if (r < 0 || r >= h || s < 0 || s >= w) continue;
                                    int xi = ((b * cin + c) * h + r) * w + s, wi = ((o * cin + c) * k + p) * k + q;
                                    y[yi] += xs[xi] * ws[wi];
                                    gx[xi] += gs[yi] * ws[wi];
                                    gw[wi] += gs[yi] * xs[xi];
                                }
                    }
        var x = tensor(xs, [n, cin, h, w], ScalarType.Float64).requires_grad_(true);
        var wt = tensor(ws, [cout, cin, k, k], ScalarType.Float64).requires_grad_(true);
        var yt = nn.functional.conv2d(x, wt, null, g.Strides, g.Paddings, g.Dilations);
        var grads = autograd.grad([yt], [x, wt], [tensor(gs, [n, cout, ho, wo], ScalarType.Float64)]);
        Assert.Equal(y, yt.detach().data<double>().ToArray(), (a, b) => Math.Abs(a - b) < 1e-12);
        Assert.Equal(gx, grads[0].data<double>().ToArray(), (a, b) => Math.Abs(a - b) < 1e-12);
        Assert.Equal(gw, grads[1].data<double>().ToArray(), (a, b) => Math.Abs(a - b) < 1e-12);
    }

    static ConvolutionShape Shape(int batch, int cin, int cout, string dtype = "float32", TensorLayout layout = TensorLayout.Contiguous) =>
        new(dtype, layout, layout, batch, cin, cout, 16, 16, 3, 3, ConvolutionGeometry.Same(1, 1), true, get_num_threads());

    [Fact]
    public void A_probe_sees_a_wrong_input_gradient_and_only_that()
    {
        using var state = new KernelState(fault: SimulatedKernelFault.BackwardInput);
        var wrong = ConvolutionProbe.Run(Shape(2, 3, 8), ConvolutionRoute.Direct.Instance);
        Assert.False(wrong.Passed);
        Assert.True(wrong.InputGradient > 0.1, $"input gradient error {wrong.InputGradient}");
        Assert.True(wrong.Forward < 1e-5 && wrong.WeightGradient < 1e-4, $"forward {wrong.Forward}, weight {wrong.WeightGradient}");
        // The simulated fault, like the one seen, spares single images and multiples of 16 output channels.
        Assert.True(ConvolutionProbe.Run(Shape(2, 3, 16), ConvolutionRoute.Direct.Instance).InputGradient < 1e-4);
        Assert.True(ConvolutionProbe.Run(Shape(1, 3, 8), ConvolutionRoute.Direct.Instance).InputGradient < 1e-4);
    }

    [Theory]
    [InlineData(TensorLayout.Contiguous)]
    [InlineData(TensorLayout.ChannelsLast)]
    public void Padded_and_float64_routes_compute_the_same_convolution(TensorLayout layout)
    {
        using var state = new KernelState();
        foreach (var route in new ConvolutionRoute[] { new ConvolutionRoute.PaddedChannels(4, 16), new ConvolutionRoute.PaddedChannels(8, 32),
            ConvolutionRoute.Float64.Instance })
        {
            var result = ConvolutionProbe.Run(Shape(2, 3, 8, "float32", layout), route);
            Assert.True(result.Passed, $"{route}: {result}");
        }
    }

    [Theory]
    [InlineData("float32", TensorLayout.Contiguous, 3, 8)]
    [InlineData("float32", TensorLayout.ChannelsLast, 1, 8)]
    [InlineData("bfloat16", TensorLayout.ChannelsLast, 3, 8)]
    [InlineData("bfloat16", TensorLayout.ChannelsLast, 3, 16)]
    public void The_chosen_route_agrees_with_float64_when_probed_again(string dtype, TensorLayout layout, int cin, int cout)
    {
        using var state = new KernelState(freshCache: true);
        var verdict = KernelChecks.For(Shape(2, cin, cout, dtype, layout));
        Assert.True(verdict.Chosen.Passed);
        Assert.True(ConvolutionProbe.Run(Shape(2, cin, cout, dtype, layout), verdict.Route).Passed, verdict.Route.Name);
    }

    [Fact]
    public void A_probe_leaves_the_global_random_stream_alone()
    {
        using var state = new KernelState();
        manual_seed(17);
        var first = rand(5).data<float>().ToArray();
        manual_seed(17);
        ConvolutionProbe.Run(Shape(2, 3, 8), ConvolutionRoute.Direct.Instance);
        Assert.Equal(first, rand(5).data<float>().ToArray());
    }
}
