using Maskbench.Progress;

namespace Maskbench.Bench;

/// <summary>One named entry of `maskbench bench`: runs its measurement (and its reference, if any) in one go.</summary>
public interface IBenchmark
{
    /// <summary>Short kebab-case name used on the command line (`npy-read`, `matmul`, `pgd`).</summary>
    string Name { get; }
    string Description { get; }
    BenchmarkResult Run(BenchmarkContext context);
}

/// <summary>What an entry may use: a scratch folder, progress, and whether a short run was asked for.</summary>
public sealed class BenchmarkContext
{
    public required string WorkDirectory { get; init; }
    public required IProgressSink Progress { get; init; }
    /// <summary>Fewer repetitions (for smoke runs); figures are noisier.</summary>
    public bool Quick { get; init; }
}

/// <summary>One measured number. Ratios (ours / reference) are figures too, with unit "x".</summary>
public sealed record BenchmarkFigure(string Name, double Value, string Unit, string? Note = null);

public sealed class BenchmarkResult
{
    public List<BenchmarkFigure> Figures { get; } = [];
    /// <summary>Why a reference or part of the entry did not run (for example python3-torch missing).</summary>
    public List<string> Notes { get; } = [];

    public BenchmarkResult Add(string name, double value, string unit, string? note = null)
    {
        Figures.Add(new BenchmarkFigure(name, value, unit, note));
        return this;
    }
}
