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
    /// <summary>What the command line gave for the entries that read a model or data (eval-job).</summary>
    public BenchmarkOptions Options { get; init; } = new();
}

/// <summary>
/// Inputs an entry may be pointed at instead of its built-in ones. Only `eval-job` reads them: with
/// <see cref="Model"/> and <see cref="Data"/> it times the job on trained weights and real test images instead of a
/// random-weight network on random inputs.
/// </summary>
public sealed record BenchmarkOptions
{
    /// <summary>
    /// A trained plain classifier: a `maskbench train` run folder, a checkpoint in one, or exported weights (model.json and model.safetensors).
    /// </summary>
    public string? Model { get; init; }
    /// <summary>A dataset folder whose test split supplies the images (the first <see cref="Images"/> rows, true labels).</summary>
    public string? Data { get; init; }
    /// <summary>How many images the job attacks (default: the entry's own).</summary>
    public int? Images { get; init; }
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
