using System.Text.Json;
using System.Text.Json.Serialization;
using Maskbench.Models;
using Maskbench.Files;
using Maskbench.Masks;

namespace Maskbench.Training;

/// <summary>Where a training run came from: the dataset folder and a hash of its manifest (which holds the array hashes).</summary>
public sealed record DatasetIdentity(string Path, string Sha256, string Name);

/// <summary>The contents of run.json: what was trained, on what, how.</summary>
public sealed record RunInfo
{
    public string Format { get; init; } = "maskbench-run-1";
    public required ModelSpec Model { get; init; }
    public required TrainingOptions Options { get; init; }
    public required DatasetIdentity Dataset { get; init; }
    public IReadOnlyList<string> ClassNames { get; init; } = [];
    public int TrainCount { get; init; }
    public int ValidationCount { get; init; }
    /// <summary>libtorch's intra-op threads on a CPU run: float sums are split per thread, so the weights depend on it.</summary>
    public int? Threads { get; init; }
    /// <summary>
    /// Where the masks the model was trained on came from; evaluation feeds the model the same kind. Null in runs
    /// written before it was recorded: then the dataset's masks for a masked model, none otherwise.
    /// </summary>
    public InputMaskRecord? InputMasks { get; init; }

    /// <summary><see cref="InputMasks"/>, or what a run that did not record it was trained on.</summary>
    [JsonIgnore]
    public InputMaskRecord InputMasksOrDefault => InputMasks ?? InputMaskRecord.Dataset(Model.Masked);
}

/// <summary>
/// The masks a model was trained on, as run.json records them (Masks.Sources.MaskSource converts to and from it):
/// the kind, the random twin's seed, or the masker folder and the SHA-256 of its weights at training time.
/// </summary>
public sealed record InputMaskRecord(MaskKind Kind, int? Seed = null, string? Masker = null, string? MaskerWeightsSha256 = null)
{
    /// <summary>The dataset's own: its stored foreground masks for a masked model, none otherwise.</summary>
    public static InputMaskRecord Dataset(bool masked) => new(masked ? MaskKind.GroundTruth : MaskKind.None);

    public bool MasksInput => Kind != MaskKind.None;
}

/// <summary>
/// A run folder: <c>run.json</c> (<see cref="RunInfo"/>), <c>last.ckpt</c> and <c>best.ckpt</c>
/// (<see cref="Checkpoint"/>) and <c>metrics.jsonl</c> (one <see cref="EpochMetrics"/> per line).
/// </summary>
public sealed class RunFolder(string path)
{
    static JsonSerializerOptions Json => JsonFormat.Options;

    public string Path { get; } = path;
    public string RunJson => System.IO.Path.Combine(Path, "run.json");
    public string Last => System.IO.Path.Combine(Path, "last.ckpt");
    public string Best => System.IO.Path.Combine(Path, "best.ckpt");
    public string Metrics => System.IO.Path.Combine(Path, "metrics.jsonl");

    public RunInfo ReadInfo()
    {
        if (!File.Exists(RunJson)) throw new MaskbenchException($"{Path} is not a run folder: run.json is missing");
        try
        {
            return JsonSerializer.Deserialize<RunInfo>(File.ReadAllText(RunJson), Json)
                ?? throw new DataFormatException(RunJson, "empty run description");
        }
        catch (JsonException e) { throw new DataFormatException(RunJson, e.Message, e.Path, e); }
    }

    public void WriteInfo(RunInfo info) => AtomicFile.WriteAllText(RunJson, JsonSerializer.Serialize(info, Json) + "\n");

    public void WriteMetrics(IEnumerable<string> lines) => AtomicFile.WriteAllText(Metrics, string.Concat(lines.Select(l => l + "\n")));

    /// <summary>kernels.json: how the run's convolutions were computed (kernel verdicts and routes; see Kernels.KernelChecks).</summary>
    public string Kernels => System.IO.Path.Combine(Path, "kernels.json");

    public void WriteKernels(Maskbench.Kernels.KernelProvenance provenance) =>
        AtomicFile.WriteAllText(Kernels, System.Text.Json.JsonSerializer.Serialize(provenance, Json) + "\n");

    /// <summary>The path of the checkpoint to evaluate: best.ckpt when present, else last.ckpt.</summary>
    public string PreferredCheckpoint(bool best = true) =>
        best && File.Exists(Best) ? Best : File.Exists(Last) ? Last : throw new MaskbenchException($"{Path} has no checkpoint (last.ckpt)");

}
