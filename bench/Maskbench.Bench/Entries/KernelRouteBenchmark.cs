using System.Diagnostics;
using Maskbench.Attacks;
using Maskbench.Kernels;
using Maskbench.Models;
using static TorchSharp.torch;

namespace Maskbench.Bench.Entries;

/// <summary>
/// What the kernel check costs: the one-time probes of a model's shapes on a machine (fresh cache), the per-call
/// dispatch on shapes whose kernels pass, and the route on shapes whose kernels fail. A machine whose kernels fail is
/// reproduced with the simulated fault of the one seen (input gradient wrong for output channels not a multiple of 16):
/// under it, exactly the affected layers take the padded route, as on that machine. PGD on VGG-19 at width 1/8 (its
/// 8-channel layers are affected) and at full width (none are), side by side in one run.
/// </summary>
public sealed class KernelRouteBenchmark : IBenchmark
{
    public string Name => "kernels";
    public string Description => "kernel check: one-time probe cost, dispatch cost on passing shapes, route cost on failing ones (PGD, VGG-19)";

    public BenchmarkResult Run(BenchmarkContext context)
    {
        var result = new BenchmarkResult();
        int batch = context.Quick ? 32 : 128, steps = context.Quick ? 2 : 5;
        string cache = Directory.CreateTempSubdirectory("maskbench-kernel-bench-").FullName;
        string savedCache = KernelChecks.CacheDirectory;
        var savedFault = KernelChecks.Fault;
        try
        {
            KernelChecks.CacheDirectory = cache;
            foreach (double width in new[] { 0.125, context.Quick ? 0.25 : 1.0 })
            {
                using var scope = NewDisposeScope();
                var (target, x, y) = Fixture(width, batch);
                var threat = ThreatModel.Linf(8.0 / 255);
                var (seconds, shapes, _, probing) = FirstAttackOnAFreshCache(target, x, y, threat);
                result.Add($"w{width}: first attack on a fresh cache", seconds, "s",
                    $"{shapes} shapes probed in {probing:F2} s, once per machine (cached after)");
                double right = 0, routed = 0;
                for (int round = 0; round < 2; round++)
                {
                    KernelChecks.Fault = SimulatedKernelFault.None;
                    right = Best(right, Time(target, x, y, threat, steps));
                    KernelChecks.Fault = SimulatedKernelFault.BackwardInput;
                    routed = Best(routed, Time(target, x, y, threat, steps));
                }
                KernelChecks.Fault = SimulatedKernelFault.None;
                result.Add($"w{width}: PGD step, kernels right", right / steps * 1000, "ms", $"VGG-19 frozen form, batch {batch}, best of 2");
                result.Add($"w{width}: PGD step, kernels wrong and rerouted", routed / steps * 1000, "ms",
                    "simulated fault; affected layers padded to 16 output channels");
                result.Add($"w{width}: route cost", routed / right, "x", "1.00 where no layer is affected");
            }
            DispatchCost(result);
        }
        finally
        {
            KernelChecks.Fault = savedFault;
            KernelChecks.CacheDirectory = savedCache;
            KernelChecks.Reset();
            Directory.Delete(cache, recursive: true);
        }
        return result;
    }

    /// <summary>
    /// A one-step attack right after the verdicts are forgotten, so that every shape it meets is checked (probed where the
    /// cache folder has no result yet): its wall time, the shapes, and the seconds the probes took.
    /// </summary>
    public static (double Seconds, int Shapes, int Rerouted, double ProbeSeconds) FirstAttackOnAFreshCache(IAttackTarget target, Tensor x, Tensor y,
        ThreatModel threat, Precision precision = Precision.Fp32)
    {
        KernelChecks.Reset();
        var clock = Stopwatch.StartNew();
        using var record = KernelChecks.Record();
        new PgdAttack { Steps = 1, EarlyStop = false, Precision = precision }.Run(target, x, y, threat).Dispose();
        var verdicts = record.Verdicts;
        return (clock.Elapsed.TotalSeconds, verdicts.Count, verdicts.Count(v => v.Rerouted),
            verdicts.Sum(v => v.Direct.Milliseconds + (v.Rerouted ? v.Chosen.Milliseconds : 0)) / 1000);
    }

    static double Best(double previous, double now) => previous == 0 ? now : Math.Min(previous, now);

    static (ModuleTarget Target, Tensor X, Tensor Y) Fixture(double width, int batch)
    {
        manual_seed(1);
        var model = ModelFactory.Create("vgg19", 10, 32, width: width);
        var x = rand(batch, 3, 32, 32);
        foreach (var bn in model.modules().OfType<TorchSharp.Modules.BatchNorm2d>()) bn.momentum = 1.0;
        model.train();
        using (no_grad()) model.call(x).Dispose();
        model.eval();
        Tensor y;
        using (no_grad()) y = model.call(x).argmax(1);
        return (new ModuleTarget(model), x, y);
    }

    static double Time(ModuleTarget target, Tensor x, Tensor y, ThreatModel threat, int steps)
    {
        new PgdAttack { Steps = 1, EarlyStop = false }.Run(target, x, y, threat).Dispose();   // warm-up (and probes of new shapes)
        var clock = Stopwatch.StartNew();
        new PgdAttack { Steps = steps, EarlyStop = false }.Run(target, x, y, threat).Dispose();
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>The check's own cost per call on a shape that passes: the shape key and the verdict lookup beside the convolution.</summary>
    static void DispatchCost(BenchmarkResult result)
    {
        using var scope = NewDisposeScope();
        var x = rand(2, 8, 8, 8);
        var w = rand(16, 8, 3, 3);
        var g = ConvolutionGeometry.Same(1, 1);
        const int calls = 2000;
        double plain = double.MaxValue, checkedCalls = double.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < calls; i++) nn.functional.conv2d(x, w, null, g.Strides, g.Paddings).Dispose();
            plain = Math.Min(plain, clock.Elapsed.TotalSeconds);
            clock.Restart();
            for (int i = 0; i < calls; i++) CheckedConvolution.Apply(x, w, null, g).Dispose();
            checkedCalls = Math.Min(checkedCalls, clock.Elapsed.TotalSeconds);
        }
        result.Add("dispatch cost per checked call", (checkedCalls - plain) / calls * 1e6, "µs",
            $"tiny 8→16 convolution: {plain / calls * 1e6:F1} µs plain, {checkedCalls / calls * 1e6:F1} µs checked");
    }
}
