using System.Globalization;
using Maskbench.Models;
using static TorchSharp.torch;

namespace Maskbench.Training;

/// <summary>
/// Everything a run needs to continue after an epoch exactly as if it had not stopped: model
/// parameters and buffers (batch-norm statistics), the optimizer's momentum buffers, and the metrics so far. The
/// schedule is a pure function of the epoch (<see cref="LearningRates"/>) and every epoch re-seeds both the shuffle
/// (System.Random) and libtorch's generator from (seed, epoch), so no RNG state needs saving.
/// Stored as one safetensors file: keys <c>model.NAME</c> and <c>optimizer.momentum.NAME</c>, metadata
/// <c>epoch</c>, <c>format</c> and <c>metrics</c> (the JSON lines written so far).
/// </summary>
public static class Checkpoint
{
    const string ModelPrefix = "model.";
    const string MomentumPrefix = "optimizer.momentum.";
    const string Format = "maskbench-checkpoint-1";

    public static void Save(string path, ImageClassifier model, SgdMomentum? optimizer, int epoch, IReadOnlyList<string> metricLines)
    {
        var entries = new List<(string, Tensor)>();
        foreach (var (name, t) in model.state_dict()) entries.Add((ModelPrefix + name, t));
        if (optimizer is not null)
            foreach (var (name, t) in optimizer.Buffers.OrderBy(b => b.Key, StringComparer.Ordinal)) entries.Add((MomentumPrefix + name, t));
        var metadata = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["epoch"] = epoch.ToString(CultureInfo.InvariantCulture),
            ["metrics"] = string.Join("\n", metricLines),
        };
        SafeTensorsFile.Write(path, entries, metadata);
    }

    /// <summary>
    /// Loads the model (strictly: every key must match) and optimizer; returns the completed epoch and the metric
    /// lines. With <paramref name="expectedSha256"/> the bytes read must hash to it (the file a cached result was
    /// computed from); the data section is always checked against the hash the file records.
    /// </summary>
    public static (int Epoch, List<string> MetricLines) Load(string path, ImageClassifier model, SgdMomentum? optimizer,
        string? expectedSha256 = null)
    {
        if (!File.Exists(path)) throw new MaskbenchException($"{path}: checkpoint not found");
        var (tensors, metadata) = SafeTensorsFile.Read(path, out string sha256);
        try
        {
            if (expectedSha256 is not null && !string.Equals(sha256, expectedSha256, StringComparison.OrdinalIgnoreCase))
                throw new DataFormatException(path, $"SHA-256 is {sha256}, expected {expectedSha256} (the checkpoint changed or is corrupt)");
            if (!metadata.TryGetValue("format", out var format) || format != Format)
                throw new DataFormatException(path, $"not a maskbench checkpoint (format '{format}', expected '{Format}')", "__metadata__");
            var modelState = tensors.Where(t => t.Name.StartsWith(ModelPrefix, StringComparison.Ordinal))
                .ToDictionary(t => t.Name[ModelPrefix.Length..], t => t.Tensor);
            LoadModelState(path, model, modelState);
            if (optimizer is not null)
                optimizer.LoadBuffers(tensors.Where(t => t.Name.StartsWith(MomentumPrefix, StringComparison.Ordinal))
                    .ToDictionary(t => t.Name[MomentumPrefix.Length..], t => t.Tensor));
            if (!metadata.TryGetValue("epoch", out var epochText) || !int.TryParse(epochText, NumberStyles.None, CultureInfo.InvariantCulture,
                out int epoch))
                throw new DataFormatException(path, "metadata lacks a valid \"epoch\"", "__metadata__");
            var lines = metadata.TryGetValue("metrics", out var m) && m.Length > 0 ? m.Split('\n').ToList() : [];
            return (epoch, lines);
        }
        finally
        {
            foreach (var (_, t) in tensors) t.Dispose();
        }
    }

    /// <summary>Copies a state dict into the model, naming missing, unexpected and mis-shaped keys.</summary>
    public static void LoadModelState(string path, ImageClassifier model, IReadOnlyDictionary<string, Tensor> state)
    {
        var own = model.state_dict();
        var missing = own.Keys.Where(k => !state.ContainsKey(k)).ToList();
        var unexpected = state.Keys.Where(k => !own.ContainsKey(k)).ToList();
        if (missing.Count > 0 || unexpected.Count > 0)
            throw new DataFormatException(path, $"weights do not match {model.Spec.Description}: "
                + $"missing [{string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? ", ..." : "")}], "
                + $"unexpected [{string.Join(", ", unexpected.Take(5))}{(unexpected.Count > 5 ? ", ..." : "")}]");
        using var noGrad = no_grad();
        foreach (var (name, target) in own)
        {
            var source = state[name];
            if (!source.shape.SequenceEqual(target.shape))
                throw new DataFormatException(path, $"tensor '{name}' has shape [{string.Join(", ", source.shape)}], the model expects "
                    + $"[{string.Join(", ", target.shape)}]");
            target.copy_(source);
        }
    }
}
