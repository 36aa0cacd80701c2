using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Maskbench.Models;
using static TorchSharp.torch;
using Maskbench.Files;

namespace Maskbench.Training;

/// <summary>
/// Moves weights between run folders and plain files other tools read: <c>model.safetensors</c> with the PyTorch
/// state-dict keys of the module (docs/interop.md gives the matching PyTorch definitions) and <c>model.json</c>
/// describing the architecture (its layer list), classes, input size, normalization and masking.
/// </summary>
public static class ModelExport
{
    public const string WeightsFile = "model.safetensors";
    public const string DescriptionFile = "model.json";
    /// <summary>Four random inputs and the logits this model gives them (eval mode), for checking a rebuilt module.</summary>
    public const string CheckFile = "check.safetensors";
    const string Format = "maskbench-model-1";

    /// <summary>Exports best.ckpt (or last.ckpt when there is no best, or when <paramref name="useBest"/> is false).</summary>
    public static string Export(string runPath, string outDirectory, bool useBest = true)
    {
        Runtime.TorchRuntime.EnsureLoaded();
        var run = new RunFolder(runPath);
        var info = run.ReadInfo();
        string checkpoint = run.PreferredCheckpoint(useBest);
        using var model = ModelFactory.Create(info.Model);
        var (epoch, _) = Checkpoint.Load(checkpoint, model, null);
        Directory.CreateDirectory(outDirectory);
        var state = model.state_dict();
        SafeTensorsFile.Write(Path.Combine(outDirectory, WeightsFile), state.Select(kv => (kv.Key, kv.Value)),
            new Dictionary<string, string> { ["format"] = "pt", ["producer"] = "maskbench", ["epoch"] = epoch.ToString() });
        var description = new JsonObject
        {
            ["format"] = Format,
            ["model"] = JsonSerializer.SerializeToNode(info.Model, JsonFormat.Options),
            ["layers"] = new JsonArray(model.Layers.Select(l => (JsonNode?)l).ToArray()),
            ["input"] = $"float32 N x {info.Model.Channels} x {info.Model.InputSize} x {info.Model.InputSize}, values in [0,1]" +
                        (info.Model.Masked ? ", multiplied by the foreground mask (N x 1 x S x S) before the model" : ""),
            ["normalization"] = "inside the model: (x - mean) / std with buffers 'mean' and 'std' of shape 1 x C x 1 x 1",
            ["class_names"] = new JsonArray(info.ClassNames.Select(c => (JsonNode?)c).ToArray()),
            ["epoch"] = epoch,
            ["checkpoint"] = Path.GetFileName(checkpoint),
            ["trained"] = JsonSerializer.SerializeToNode(info.Options, JsonFormat.Options),
            ["dataset"] = JsonSerializer.SerializeToNode(info.Dataset, JsonFormat.Options),
            ["state_dict_keys"] = new JsonArray(state.Keys.Select(k => (JsonNode?)k).ToArray()),
        };
        AtomicFile.WriteAllText(Path.Combine(outDirectory, DescriptionFile), description.ToJsonString(JsonFormat.Options) + "\n");
        WriteCheck(model, Path.Combine(outDirectory, CheckFile));
        return outDirectory;
    }

    /// <summary>
    /// Inputs (as fed to the module, so already masked for a masked model: uniform noise times a centred square) and
    /// their float32 logits in eval mode; bench/Maskbench.Bench/reference/vgg_reference.py compares against them.
    /// </summary>
    static void WriteCheck(ImageClassifier model, string path)
    {
        using var scope = NewDisposeScope();
        var spec = model.Spec;
        var generator = new Generator(20240607);
        var inputs = rand([4, spec.Channels, spec.InputSize, spec.InputSize], generator: generator);
        if (spec.Masked)
        {
            int s = spec.InputSize, lo = s / 4;
            var mask = zeros(1, 1, s, s);
            mask[TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(lo, s - lo), TensorIndex.Slice(lo, s - lo)] =
                ones(1, 1, s - 2 * lo, s - 2 * lo);
            inputs = inputs * mask;
        }
        model.eval();
        Tensor logits;
        using (no_grad()) logits = model.forward(inputs);
        SafeTensorsFile.Write(path, [("inputs", inputs), ("logits", logits)]);
    }

    /// <summary>
    /// Reads model.json and model.safetensors from <paramref name="weightsDirectory"/> into a new run folder whose
    /// last.ckpt and best.ckpt hold the weights (no optimizer state), so that evaluation commands accept it.
    /// </summary>
    public static string Import(string weightsDirectory, string outRun)
    {
        var (model, classNames, hash) = ReadExported(weightsDirectory);
        using var _ = model;
        var run = new RunFolder(outRun);
        if (File.Exists(run.RunJson)) throw new MaskbenchException($"{outRun} already holds a run; choose another --out");
        Directory.CreateDirectory(outRun);
        run.WriteInfo(new RunInfo
        {
            Model = model.Spec,
            Options = new TrainingOptions { Masked = model.Spec.Masked, Epochs = 0 },
            Dataset = new DatasetIdentity(Path.GetFullPath(weightsDirectory), hash, "imported weights"),
            ClassNames = classNames,
        });
        Checkpoint.Save(run.Last, model, null, 0, []);
        AtomicFile.Copy(run.Last, run.Best);
        return outRun;
    }

    /// <summary>Whether <paramref name="directory"/> holds exported weights (model.json and model.safetensors).</summary>
    public static bool IsExported(string directory) =>
        File.Exists(Path.Combine(directory, DescriptionFile)) && File.Exists(Path.Combine(directory, WeightsFile));

    /// <summary>
    /// The classifier that model.json and model.safetensors in <paramref name="weightsDirectory"/> describe, its class names and the weights'
    /// SHA-256.
    /// </summary>
    public static (ImageClassifier Model, List<string> ClassNames, string WeightsSha256) ReadExported(string weightsDirectory)
    {
        Runtime.TorchRuntime.EnsureLoaded();
        string jsonPath = Path.Combine(weightsDirectory, DescriptionFile);
        string weightsPath = Path.Combine(weightsDirectory, WeightsFile);
        if (!File.Exists(jsonPath)) throw new MaskbenchException($"{weightsDirectory}: {DescriptionFile} is missing");
        if (!File.Exists(weightsPath)) throw new MaskbenchException($"{weightsDirectory}: {WeightsFile} is missing");
        JsonObject description;
        ModelSpec spec;
        try
        {
            description = (JsonNode.Parse(File.ReadAllText(jsonPath)) ?? throw new DataFormatException(jsonPath, "the description is null"))
                .AsObject();
            spec = description["model"].Deserialize<ModelSpec>(JsonFormat.Options) ?? throw new DataFormatException(jsonPath, "no \"model\" object");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new DataFormatException(jsonPath, "expected a maskbench model description: " + e.Message, null, e);
        }
        var model = ModelFactory.Create(spec);
        var (tensors, _) = SafeTensorsFile.Read(weightsPath);
        try
        {
            Checkpoint.LoadModelState(weightsPath, model, tensors.ToDictionary(t => t.Name, t => t.Tensor));
        }
        catch
        {
            model.Dispose();
            throw;
        }
        finally
        {
            foreach (var (_, t) in tensors) t.Dispose();
        }
        var classNames = description["class_names"]?.AsArray().Select(n => n!.GetValue<string>()).ToList() ?? [];
        string hash = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(weightsPath)));
        return (model, classNames, hash);
    }
}
