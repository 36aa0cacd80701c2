using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Maskbench.Bench.Entries;

/// <summary>
/// The machine's practical peak: GFLOP/s of a square matmul (2n³ flops) in float32 and bfloat16, which later
/// entries (attacks, training) divide their achieved GFLOP/s by. PyTorch's figure on the same matmul is the reference.
/// </summary>
public sealed class MatmulBenchmark : IBenchmark
{
    public string Name => "matmul";
    public string Description => "square matmul GFLOP/s in float32 and bfloat16 (the machine's practical peak), vs PyTorch";

    public BenchmarkResult Run(BenchmarkContext context)
    {
        int n = context.Quick ? 1024 : 2048;
        int reps = context.Quick ? 3 : 10;
        var result = new BenchmarkResult();
        var ours = new Dictionary<string, double>();
        foreach (var (label, dtype) in new[] { ("float32", ScalarType.Float32), ("bfloat16", ScalarType.BFloat16) })
        {
            double gflops = Measure(n, reps, dtype);
            ours[label] = gflops;
            result.Add($"{label} {n}x{n}", gflops, "GFLOP/s");
        }
        var reference = PythonReference.Run("matmul_reference.py", [n.ToString(), reps.ToString(), torch.get_num_threads().ToString()],
            out string? note);
        if (reference is null) result.Notes.Add(note ?? "no reference");
        else
        {
            foreach (var label in ours.Keys)
            {
                double? theirs = reference[label]?.GetValue<double>();
                if (theirs is null or <= 0) continue;
                result.Add($"PyTorch {label}", theirs.Value, "GFLOP/s", $"torch {reference["torch"]}");
                result.Add($"{label} ours / PyTorch", ours[label] / theirs.Value, "x");
            }
        }
        return result;
    }

    /// <summary>GFLOP/s of the best of <paramref name="reps"/> n×n matmuls (after a warm-up); other entries take their peaks from here.</summary>
    internal static double Measure(int n, int reps, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var a = randn(n, n).to(dtype);
        var b = randn(n, n).to(dtype);
        a.matmul(b); // warm-up
        var best = double.MaxValue;
        for (int r = 0; r < reps; r++)
        {
            var sw = Stopwatch.StartNew();
            using (var c = a.matmul(b)) { }
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return 2.0 * n * n * n / best / 1e9;
    }
}

/// <summary>
/// The matmul peaks (GFLOP/s, float32 and bfloat16, 1024² best of 3) measured in the entry's own run, so achieved GFLOP/s is read against the machine
/// as it is now.
/// </summary>
sealed record MatmulPeaks(double Fp32, double Bf16)
{
    public static MatmulPeaks Measure() =>
        new(MatmulBenchmark.Measure(1024, 3, ScalarType.Float32), MatmulBenchmark.Measure(1024, 3, ScalarType.BFloat16));

    public double Of(Attacks.Precision precision) => precision == Attacks.Precision.Bf16 ? Bf16 : Fp32;

    /// <summary>"x% of the bf16 matmul peak (y GFLOP/s)".</summary>
    public string Share(double gflops, Attacks.Precision precision) =>
        $"{100 * gflops / Of(precision):F0}% of the {(precision == Attacks.Precision.Bf16 ? "bf16" : "fp32")} matmul peak ({Of(precision):F0} "
            + "GFLOP/s, this run)";
}
