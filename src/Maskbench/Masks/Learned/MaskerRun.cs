using System.Text.Json;
using System.Text.Json.Nodes;
using Maskbench.Models;
using Maskbench.Training;
using TorchSharp;
using static TorchSharp.torch;
using Maskbench.Files;

namespace Maskbench.Masks.Learned;

/// <summary>One epoch of masker training.</summary>
public sealed record MaskerEpoch(int Epoch, double Loss, double TrainIoU, double Seconds);

/// <summary>The contents of masker.json: what was trained, on what, how, and how well.</summary>
public sealed record MaskerInfo
{
    public string Format { get; init; } = "maskbench-masker-1";
    public required MaskerSpec Spec { get; init; }
    public required MaskerTrainingOptions Options { get; init; }
    public required DatasetIdentity Dataset { get; init; }
    public long Parameters { get; init; }
    public List<MaskerEpoch> Epochs { get; init; } = [];
    /// <summary>
    /// IoU of the thresholded prediction against the dataset's masks on the test split (for a jointly tuned masker: on the classifier's validation
    /// slice).
    /// </summary>
    public MaskerQuality? Test { get; init; }
    /// <summary>
    /// Set when the masker was fine-tuned jointly with a classifier (<c>train --joint</c>); <see cref="Options"/> are then its first training's.
    /// </summary>
    public MaskerFineTuning? FineTuning { get; init; }
}

/// <summary>
/// How a masker was fine-tuned with a classifier: the masker it started from, the classifier run it belongs to (whose
/// best.ckpt is the epoch <see cref="Epoch"/> it was saved at), the segmentation loss weight, Adam's step size, and the
/// classifier's training mode (natural, or PGD against the whole pipeline), and the mask form it was trained on (deploy it so).
/// </summary>
public sealed record MaskerFineTuning(string SourceMasker, string ClassifierRun, int Epoch, double SegmentationWeight, double MaskerLearningRate,
    Maskbench.Training.TrainingMode Mode,
    [property: System.Text.Json.Serialization.JsonConverter(
        typeof(System.Text.Json.Serialization.JsonStringEnumConverter<Maskbench.Attacks.MaskMode>))] Maskbench.Attacks.MaskMode Mask);

/// <summary>Test-split IoU of a masker, clean and under segmentation PGD, with the split it was measured on.</summary>
public sealed record MaskerQuality(string Split, MeanWithInterval Clean, Dictionary<int, MeanWithInterval> CleanPerClass,
    double? AttackEpsilon, MeanWithInterval? UnderAttack);

/// <summary>
/// A masker's folder: masker.json (<see cref="MaskerInfo"/>), and the export pair every tool reads,
/// <c>model.safetensors</c> (the state dict under the PyTorch keys of docs/learned-masks.md) and <c>model.json</c>
/// (spec, layers, keys, input and output). Files are written to a temporary name and renamed.
/// </summary>
public sealed class MaskerRun(string folder)
{
    public const string InfoFile = "masker.json";
    public string Folder { get; } = folder;
    public string InfoPath => Path.Combine(Folder, InfoFile);
    public string WeightsPath => Path.Combine(Folder, ModelExport.WeightsFile);
    public string DescriptionPath => Path.Combine(Folder, ModelExport.DescriptionFile);

    public bool Exists => File.Exists(InfoPath);

    /// <summary>SHA-256 of the weights file (lower-case hex): what pins a masker in cell keys and run folders.</summary>
    public string WeightsSha256() => File.Exists(WeightsPath)
        ? Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(WeightsPath)))
        : throw new MaskbenchException($"{Folder}: {ModelExport.WeightsFile} is missing");

    public void Write(MaskUNet masker, MaskerInfo info)
    {
        Directory.CreateDirectory(Folder);
        var state = masker.state_dict();
        SafeTensorsFile.Write(WeightsPath, state.Select(kv => (kv.Key, kv.Value)),
            new Dictionary<string, string> { ["format"] = "pt", ["producer"] = "maskbench", ["model"] = "mask-unet" });
        var description = new JsonObject
        {
            ["format"] = "maskbench-masker-model-1",
            ["model"] = JsonSerializer.SerializeToNode(info.Spec, JsonFormat.Options),
            ["layers"] = new JsonArray(masker.Layers.Select(l => (JsonNode?)l).ToArray()),
            ["input"] = $"float32 N x {info.Spec.Channels} x {info.Spec.InputSize} x {info.Spec.InputSize}, values in [0,1]",
            ["output"] = $"float32 N x 1 x {info.Spec.InputSize} x {info.Spec.InputSize} mask logits; foreground where sigmoid(logit) >= 0.5",
            ["parameters"] = info.Parameters,
            ["state_dict_keys"] = new JsonArray(state.Keys.Select(k => (JsonNode?)k).ToArray()),
        };
        AtomicFile.WriteAllText(DescriptionPath, description.ToJsonString(JsonFormat.Options) + "\n");
        AtomicFile.WriteAllText(InfoPath, JsonSerializer.Serialize(info, JsonFormat.Options) + "\n");
    }

    public MaskerInfo ReadInfo()
    {
        if (!File.Exists(InfoPath)) throw new MaskbenchException($"{Folder}: no {InfoFile} (train one with `maskbench train-masker`)");
        try
        {
            return JsonSerializer.Deserialize<MaskerInfo>(File.ReadAllText(InfoPath), JsonFormat.Options)
                ?? throw new DataFormatException(InfoPath, "empty masker description");
        }
        catch (JsonException e)
        {
            throw new DataFormatException(InfoPath, $"not a masker.json: {e.Message}", e.LineNumber is long l ? $"line {l + 1}" : null, e);
        }
    }

    /// <summary>The trained masker, in eval mode, on <paramref name="device"/>.</summary>
    public MaskUNet Load(Device? device = null)
    {
        var info = ReadInfo();
        if (!File.Exists(WeightsPath)) throw new MaskbenchException($"{Folder}: {ModelExport.WeightsFile} is missing");
        var masker = new MaskUNet(info.Spec);
        var (tensors, _) = SafeTensorsFile.Read(WeightsPath);
        try
        {
            var state = masker.state_dict();
            var byName = tensors.ToDictionary(t => t.Name, t => t.Tensor);
            foreach (var key in state.Keys)
                if (!byName.ContainsKey(key)) throw new DataFormatException(WeightsPath, $"tensor '{key}' is missing");
            foreach (var name in byName.Keys)
                if (!state.ContainsKey(name)) throw new DataFormatException(WeightsPath, $"unexpected tensor '{name}'");
            using (no_grad())
                foreach (var (key, target) in state)
                {
                    var source = byName[key];
                    if (!source.shape.SequenceEqual(target.shape))
                        throw new DataFormatException(WeightsPath, $"tensor '{key}' is [{string.Join(", ", source.shape)}], the masker expects "
                            + $"[{string.Join(", ", target.shape)}]");
                    target.copy_(source);
                }
        }
        finally
        {
            foreach (var (_, t) in tensors) t.Dispose();
        }
        if (device is not null) masker.to(device);
        masker.eval();
        return masker;
    }
}
