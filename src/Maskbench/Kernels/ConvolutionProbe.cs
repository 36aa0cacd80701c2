using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Maskbench.Kernels;

/// <summary>The largest error of each result of one route on one shape, relative to the float64 reference's largest magnitude.</summary>
public sealed record ProbeResult(string Route, double Forward, double InputGradient, double WeightGradient, double Tolerance, double Milliseconds)
{
    public double Worst => double.IsNaN(Forward + InputGradient + WeightGradient) ? double.NaN
        : Math.Max(Forward, Math.Max(InputGradient, WeightGradient));
    public bool Passed => Worst <= Tolerance;   // false for NaN
}

/// <summary>
/// Runs one convolution shape through one route on a small random problem (the shape's batch class at its smallest
/// size) and compares the forward pass, the input gradient and the weight gradient with float64 on the same
/// (already rounded) numbers. Float64 convolutions do not go through oneDNN, which has no float64 kernels, so the
/// reference is computed by other code than the kernels under test. The random numbers come from a generator of the
/// probe's own, so a probe never moves the global random stream (same seed, same bytes, whether or not a verdict was cached).
/// </summary>
public static class ConvolutionProbe
{
    /// <summary>Relative error allowed: well above rounding (float32 ~1e-6, bfloat16 ~4e-3), far below the 0.5–0.9 of a wrong kernel.</summary>
    public static double ToleranceFor(ScalarType dtype) => dtype == ScalarType.BFloat16 ? 3e-2 : dtype == ScalarType.Float16 ? 1e-2 : 1e-4;

    static int _runs;

    /// <summary>Probes run by this process (the cache's tests count them).</summary>
    internal static int Runs => Volatile.Read(ref _runs);

    public static ProbeResult Run(ConvolutionShape shape, ConvolutionRoute route)
    {
        Interlocked.Increment(ref _runs);
        var watch = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        var dtype = shape.ScalarType;
        var g = shape.Geometry;
        long n = shape.Batch, cin = shape.InChannels, cout = shape.OutChannels;
        long ho = g.OutputSize(shape.Height, shape.KernelHeight, true), wo = g.OutputSize(shape.Width, shape.KernelWidth, false);
        if (ho < 1 || wo < 1) throw new MaskbenchException($"convolution {shape} has an empty output");
        using var generator = new Generator(0x6b65726eUL ^ (ulong)(uint)shape.GetHashCode());
        Tensor Random(long[] size, double scale) =>
            (rand(size, ScalarType.Float64, generator: generator) * 2 - 1).mul_(scale).to_type(dtype).to_type(ScalarType.Float64);
        var x64 = Random([n, cin, shape.Height, shape.Width], 1.0);
        var w64 = Random([cout, cin / g.Groups, shape.KernelHeight, shape.KernelWidth],
            1.0 / Math.Sqrt(cin / g.Groups * shape.KernelHeight * shape.KernelWidth));
        var b64 = shape.Bias ? Random([cout], 0.1) : null;
        var upstream64 = Random([n, cout, ho, wo], 1.0);

        var reference = Gradients(ConvolutionRoute.Direct.Instance, x64, w64, b64, upstream64, g, cout);
        var x = Layouts.To(x64.to_type(dtype), shape.InputLayout);
        var w = Layouts.To(w64.to_type(dtype), shape.WeightLayout);
        var b = b64?.to_type(dtype);
        var upstream = Layouts.To(upstream64.to_type(dtype), shape.InputLayout == TensorLayout.ChannelsLast
            || shape.WeightLayout == TensorLayout.ChannelsLast ? TensorLayout.ChannelsLast : TensorLayout.Contiguous);
        var tested = Gradients(route, x, w, b, upstream, g, cout);
        return new ProbeResult(route.Name,
            Relative(tested.Output, reference.Output), Relative(tested.Input, reference.Input), Relative(tested.Weight, reference.Weight),
            ToleranceFor(dtype), watch.Elapsed.TotalMilliseconds);
    }

    static (Tensor Output, Tensor Input, Tensor Weight) Gradients(ConvolutionRoute route, Tensor x, Tensor w, Tensor? b, Tensor upstream,
        ConvolutionGeometry g, long cout)
    {
        x = x.detach().requires_grad_(true);
        w = w.detach().requires_grad_(true);
        var (pw, pb) = route.PrepareWeights(w, b);
        var y = route.Run(x, pw, pb, cout, g);
        var grads = autograd.grad([y], [x, w], [upstream]);
        return (y.detach(), grads[0], grads[1]);
    }

    static double Relative(Tensor tested, Tensor reference)
    {
        using var scope = NewDisposeScope();
        double scale = reference.abs().max().item<double>();
        double error = (tested.to_type(ScalarType.Float64) - reference).abs().max().item<double>();
        if (double.IsNaN(error) || tested.to_type(ScalarType.Float64).isnan().any().item<bool>()) return double.NaN;
        return error / Math.Max(scale, 1e-300);
    }
}
