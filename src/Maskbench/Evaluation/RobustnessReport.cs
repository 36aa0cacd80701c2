using System.Text.Json;
using System.Text.Json.Serialization;
using Maskbench.Files;

namespace Maskbench.Evaluation;

/// <summary>Robust accuracy at one ε of a sweep, with what it cost.</summary>
public sealed record EpsilonOutcome(double Epsilon, double RobustAccuracy, int Robust, long GradientEvaluations, long ForwardEvaluations,
    double Seconds);

/// <summary>
/// One example of the evaluated split. <see cref="FirstFoolingEpsilon"/> is the smallest ε of the sweep at which an
/// adversarial input was found (null: robust at every ε); <see cref="Step"/> is the iterate that fooled it there (0 =
/// misclassified clean). <see cref="Margins"/> holds, per ε, z_y − max_{j≠y} z_j at the kept input (at ε beyond the
/// first fooling one, the fooling input found there, which is allowed at every larger ε).
/// </summary>
public sealed record ExampleOutcome(int Row, long Label, long CleanPrediction, double? FirstFoolingEpsilon, int Step, string? FooledBy,
    double[] Margins);

/// <summary>Everything `maskbench attack` measures, serializable to JSON.</summary>
public sealed class RobustnessReport
{
    public required string Model { get; init; }
    public required string Split { get; init; }
    public required string Attack { get; init; }
    public required string Norm { get; init; }
    public required string Threat { get; init; }
    public required string Precision { get; init; }
    public int Seed { get; init; }
    public int Count { get; init; }
    public double NaturalAccuracy { get; init; }
    public required IReadOnlyList<EpsilonOutcome> Sweep { get; init; }
    public required IReadOnlyList<ExampleOutcome> Examples { get; init; }
    public double Seconds { get; init; }
    /// <summary>Free-form settings (steps, step size, restarts, dataset path) echoed for reproducibility.</summary>
    public Dictionary<string, string> Settings { get; init; } = [];
    /// <summary>How the convolutions were computed: libtorch's kernels as checked against float64, and the routes taken.</summary>
    public Kernels.KernelProvenance? Kernels { get; init; }

    static JsonSerializerOptions Options => JsonFormat.WithNulls;

    public string ToJson() => JsonSerializer.Serialize(this, Options);

    public static RobustnessReport FromJson(string json) =>
        JsonSerializer.Deserialize<RobustnessReport>(json, Options) ?? throw new MaskbenchException("empty robustness report");

    /// <summary>Writes to a temporary name beside <paramref name="path"/> and renames it when complete.</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, ToJson());
}
