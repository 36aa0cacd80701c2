using System.Diagnostics;
using static TorchSharp.torch;

namespace Maskbench.Kernels;

/// <summary>
/// A kernel check for a model whose layers cannot be reached one by one (a TorchScript module): its logits and input
/// gradient on a random batch, compared with the same model run in float64. It checks every kernel on the model's
/// path at once, for one input shape and batch size class.
/// </summary>
public static class WholeModelProbe
{
    /// <summary>Allowed relative error over a whole float32 model (rounding compounds over layers; wrong kernels give 0.5 and more).</summary>
    public const double Tolerance = 1e-3;

    /// <summary>The same for a model run in bfloat16 (its rounding is 2^-8 per layer).</summary>
    public const double LowPrecisionTolerance = 5e-2;

    /// <param name="run">The model as it will run (float32 in, float32 logits out).</param>
    /// <param name="float64">The same model in float64.</param>
    public static ProbeResult Run(Func<Tensor, Tensor> run, Func<Tensor, Tensor> float64, long batch, long channels, long height, long width,
        double tolerance = Tolerance)
    {
        var watch = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        using var generator = new Generator(0x77686f6cUL ^ (ulong)(batch * 1_000_003 + channels * 10_007 + height * 101 + width));
        var x64 = rand([batch, channels, height, width], ScalarType.Float64, generator: generator).to_type(ScalarType.Float32)
            .to_type(ScalarType.Float64);
        var (y64, g64) = LogitsAndGradient(float64, x64);
        var (y32, g32) = LogitsAndGradient(run, x64.to_type(ScalarType.Float32));
        return new ProbeResult("direct", Relative(y32, y64), Relative(g32, g64), 0, tolerance, watch.Elapsed.TotalMilliseconds);
    }

    static (Tensor Logits, Tensor Gradient) LogitsAndGradient(Func<Tensor, Tensor> model, Tensor x)
    {
        x = x.detach().requires_grad_(true);
        var y = model(x);
        // The same upstream for both runs: a fixed pattern over the logits, not drawn, so both calls see equal numbers.
        var pattern = arange(y.numel(), ScalarType.Float64).reshape(y.shape).mul(0.7).sin().to_type(y.dtype);
        var g = autograd.grad([y], [x], [pattern])[0];
        return (y.detach(), g);
    }

    static double Relative(Tensor tested, Tensor reference)
    {
        using var scope = NewDisposeScope();
        var t = tested.to_type(ScalarType.Float64);
        if (t.isnan().any().item<bool>()) return double.NaN;
        double scale = reference.abs().max().item<double>();
        return (t - reference).abs().max().item<double>() / Math.Max(scale, 1e-300);
    }
}
