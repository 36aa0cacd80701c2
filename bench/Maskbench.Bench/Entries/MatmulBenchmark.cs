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
        var reference = PythonReference.Run("matmul_reference.py", [n.ToString(), reps.ToString(), torch.get_num_threads().ToString()], out string? note);
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

    static double Measure(int n, int reps, ScalarType dtype)
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
