using Maskbench.Masks.Sources;
using Maskbench.Attacks;
using Maskbench.Batching;
using Maskbench.Kernels;
using Maskbench.Masks;
using Maskbench.Masks.Learned;
using Maskbench.Models;
using Maskbench.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Maskbench.Evaluation;

/// <summary>
/// A classifier to evaluate, as the evaluator needs it: an attack target for each batch, fed the masks of its
/// <see cref="Input"/> mask source (none for a plain model, the dataset's masks for a masked one).
/// </summary>
public sealed class AttackedModel(string description, Func<TensorBatch, Tensor?, IAttackTarget> targetFor, MaskSource input)
{
    public string Description { get; } = description;
    /// <summary>Where the masks the model multiplies its input by come from.</summary>
    public MaskSource Input { get; } = input;

    /// <summary>
    /// The mask a foreground threat region means for this model: the one it sees, or the dataset's ground-truth
    /// foreground for a model that sees the whole image.
    /// </summary>
    public MaskSource Foreground => Input.MasksInput ? Input : new MaskSource.GroundTruth();

    /// <summary>The target for <paramref name="batch"/>, whose input masks (<see cref="Input"/>'s) are <paramref name="inputMasks"/>.</summary>
    public IAttackTarget TargetFor(TensorBatch batch, Tensor? inputMasks) => targetFor(batch, inputMasks);

    /// <summary>The target for <paramref name="batch"/>.</summary>
    public IAttackTarget TargetFor(TensorBatch batch) => targetFor(batch, Input.ForEvaluation(batch));

    /// <summary>
    /// A TorchSharp module that sees x ⊙ the masks of <paramref name="input"/>. Behind a masker
    /// (<see cref="MaskSource.Predicted"/>) the model is the deployed pipeline: its mask is recomputed from each input it
    /// judges, attacked (the non-adaptive attack of <see cref="Pipeline.PipelineAttack.NonAdaptive"/>) through the
    /// clean image's thresholded mask held fixed.
    /// </summary>
    public static AttackedModel FromModule(nn.Module<Tensor, Tensor> model, MaskSource input, string description) => input switch
    {
        MaskSource.Predicted predicted => new(description, (batch, _) => new PredictedMaskTarget(predicted.Masker(batch.Images.device),
            new ModuleTarget(model), MaskMode.Threshold, GradientPath.FixedCleanMask, batch.Images), input),
        _ => new(description, (_, masks) => new ModuleTarget(model, masks), input),
    };

    /// <summary>A TorchSharp module; with <paramref name="maskedInput"/> it sees x ⊙ the dataset's foreground mask.</summary>
    public static AttackedModel FromModule(nn.Module<Tensor, Tensor> model, bool maskedInput, string description) =>
        FromModule(model, MaskSource.Dataset(maskedInput), description);

    /// <summary>
    /// The one way to load a model to evaluate, on <paramref name="device"/> in eval mode: a `maskbench train` run folder
    /// (best.ckpt, else last.ckpt), a checkpoint file inside one, a folder of exported weights (model.json and
    /// model.safetensors, `maskbench export`), or a TorchScript file exported from PyTorch. A masked model is fed x ⊙
    /// the masks it was trained on (<see cref="RunInfo.InputMasks"/>: the dataset's, the random-mask control's, or its
    /// masker's predictions, recomputed from every input as deployed); exported weights and TorchScript files, which
    /// do not record it, and any model with <paramref name="maskedInput"/>, the dataset's foreground mask.
    /// </summary>
    public static AttackedModel Load(string path, Device device, bool maskedInput = false)
    {
        if (File.Exists(path) && !IsCheckpoint(path)) return FromTorchScript(path, device, maskedInput);
        var recorded = RecordedInputMasks(path);
        var (model, source) = LoadClassifier(path, device);
        var input = recorded is { MasksInput: true } ? recorded
            : MaskSource.Dataset(model.Spec.Masked || maskedInput);
        string masks = input is MaskSource.Predicted predicted ? $", masks predicted by {predicted.MaskerFolder}"
            : input is MaskSource.RandomTwin twin ? $", random-twin masks (seed {twin.Seed})" : "";
        return FromModule(model, input, $"{model.Spec.Description}, {source}{masks}");
    }

    /// <summary>
    /// The input masks a run folder (or a checkpoint inside one) records; null for exported weights. A run trained on a
    /// masker's predictions needs that masker, unchanged (its weights' hash is checked); a jointly trained run is refused,
    /// since its classifier works behind its own tuned masker, which the pipeline evaluation attacks.
    /// </summary>
    static MaskSource? RecordedInputMasks(string path)
    {
        string? folder = File.Exists(path) && IsCheckpoint(path) ? Path.GetDirectoryName(Path.GetFullPath(path))
            : Directory.Exists(path) && File.Exists(new RunFolder(path).RunJson) ? path : null;
        if (folder is null || !File.Exists(new RunFolder(folder).RunJson)) return null;
        var info = new RunFolder(folder).ReadInfo();
        if (info.Options.Joint is not null)
            throw new MaskbenchException($"{folder}: a jointly trained classifier works behind its tuned masker; attack the pipeline with "
                + $"attack-pipeline --model {folder} --masker {Path.Combine(folder, Trainer.JointMaskerFolder)}");
        var run = new RunFolder(folder);
        var record = info.InputMasksOrDefault;
        var masks = MaskSource.FromRecord(record, run.RunJson);
        if (masks is MaskSource.Predicted predicted)
        {
            var masker = new MaskerRun(predicted.MaskerFolder);
            if (!masker.Exists)
                throw new MaskbenchException($"{folder}: trained on the masks of the masker {predicted.MaskerFolder}, which is not there");
            string hash = masker.WeightsSha256();
            if (record.MaskerWeightsSha256 is { } expected && hash != expected)
                throw new MaskbenchException($"{masker.WeightsPath}: not the masker {folder} was trained with (SHA-256 {hash[..12]}…, run.json "
                    + $"records {expected[..12]}…)");
        }
        return masks;
    }

    /// <summary>The model of a run folder (see <see cref="Load"/>).</summary>
    public static AttackedModel FromRunFolder(string path, Device device, bool maskedInput = false) =>
        Directory.Exists(path) ? Load(path, device, maskedInput) : throw new MaskbenchException($"{path}: no such run folder");

    static bool IsCheckpoint(string path) => path.EndsWith(".ckpt", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The classifier of a run folder (best.ckpt, else last.ckpt), of one checkpoint file in a run folder (loaded only if
    /// its SHA-256 is <paramref name="expectedSha256"/>, when given), or of exported weights; in evaluation mode on
    /// <paramref name="device"/>. Also returns where the weights came from, in words.
    /// </summary>
    public static (ImageClassifier Model, string Source) LoadClassifier(string path, Device device, string? expectedSha256 = null)
    {
        ImageClassifier model;
        string source;
        if (File.Exists(path) && IsCheckpoint(path))
        {
            string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
            model = ModelFactory.Create(new RunFolder(folder).ReadInfo().Model);
            LoadWeights(model, path, expectedSha256);
            source = $"{Path.GetFileName(path)} of {folder}";
        }
        else if (Directory.Exists(path) && File.Exists(new RunFolder(path).RunJson))
        {
            var run = new RunFolder(path);
            string checkpoint = run.PreferredCheckpoint();
            model = ModelFactory.Create(run.ReadInfo().Model);
            LoadWeights(model, checkpoint, expectedSha256);
            source = $"{Path.GetFileName(checkpoint)} of {path}";
        }
        else if (Directory.Exists(path) && ModelExport.IsExported(path))
        {
            (model, _, _) = ModelExport.ReadExported(path);
            source = $"exported weights in {path}";
        }
        else if (Directory.Exists(path))
        {
            // A folder that is neither: let the run folder say what is missing.
            new RunFolder(path).ReadInfo();
            throw new MaskbenchException($"{path}: not a run folder");
        }
        else throw new MaskbenchException($"{path}: no such run folder or TorchScript file");
        model.to(device);
        model.eval();
        return (model, source);
    }

    static void LoadWeights(ImageClassifier model, string checkpoint, string? expectedSha256)
    {
        try { Checkpoint.Load(checkpoint, model, optimizer: null, expectedSha256); }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>A TorchScript file exported from PyTorch (torch.jit.save) taking N x 3 x S x S inputs in [0,1].</summary>
    public static AttackedModel FromTorchScript(string path, Device device, bool maskedInput)
    {
        if (!File.Exists(path)) throw new MaskbenchException($"{path}: no such TorchScript file");
        var module = new ScriptedClassifier(path, device);
        return FromModule(module, maskedInput, $"TorchScript {Path.GetFileName(path)}" + (maskedInput ? " (masked input)" : ""));
    }
}

/// <summary>
/// A TorchScript module seen as an ordinary module, so that eval mode and parameter freezing reach it. Its layers
/// cannot be routed one by one, so each input shape and batch size class is checked whole against a float64 copy
/// (<see cref="WholeModelProbe"/>); where the check fails (or the policy asks), the module runs in float64.
/// </summary>
internal sealed class ScriptedClassifier : nn.Module<Tensor, Tensor>, IChecksOwnKernels
{
    readonly jit.ScriptModule<Tensor, Tensor> _script;
    readonly string _path;
    readonly Device _device;
    readonly Dictionary<(string, KernelPolicy), KernelVerdict> _verdicts = [];
    jit.ScriptModule<Tensor, Tensor>? _float64;

    public ScriptedClassifier(string path, Device device) : base("ScriptedClassifier")
    {
        _path = path;
        _device = device;
        _script = Load(path, device);
        register_module("script", _script);
    }

    static jit.ScriptModule<Tensor, Tensor> Load(string path, Device device)
    {
        try { return jit.load<Tensor, Tensor>(path, device.type, device.index); }
        catch (Exception e) when (e is not MaskbenchException)
        {
            throw new MaskbenchException($"{path}: not a loadable TorchScript module ({e.Message.ReplaceLineEndings(" ")})");
        }
    }

    public override Tensor forward(Tensor input)
    {
        var verdict = Verdict(input);
        KernelChecks.NoteUse(verdict);
        if (verdict.Route is not ConvolutionRoute.Float64) return _script.call(input);
        using var scope = NewDisposeScope();
        return Float64Copy().call(input.to_type(ScalarType.Float64)).to_type(input.dtype).MoveToOuterDisposeScope();
    }

    KernelVerdict Verdict(Tensor input)
    {
        long batch = ConvolutionShape.BatchClass(input.shape[0]);
        string subject = $"TorchScript {Path.GetFileName(_path)} {ConvolutionShape.DTypeName(input.dtype)} n{batch}{(batch == 1 ? "" : "+")} " +
                         $"{input.shape[1]}x{input.shape[2]}x{input.shape[3]} (whole model), {get_num_threads()} threads";
        var policy = KernelChecks.Policy;
        lock (_verdicts)
        {
            if (_verdicts.TryGetValue((subject, policy), out var known)) return known;
            var dtype = input.dtype;
            var direct = WholeModelProbe.Run(x => _script.call(x.to_type(dtype)).to_type(ScalarType.Float32), x => Float64Copy().call(x), batch,
                input.shape[1], input.shape[2], input.shape[3],
                dtype == ScalarType.Float32 ? WholeModelProbe.Tolerance : WholeModelProbe.LowPrecisionTolerance);
            KernelVerdict verdict;
            if (policy == KernelPolicy.Auto && direct.Passed) verdict = new(subject, direct, ConvolutionRoute.Direct.Instance, direct);
            else
            {
                var float64 = WholeModelProbe.Run(x => Float64Copy().call(x.to_type(ScalarType.Float64)).to_type(ScalarType.Float32), x =>
                    Float64Copy().call(x), batch, input.shape[1], input.shape[2], input.shape[3]);
                verdict = new(subject, direct with { Route = "direct" }, ConvolutionRoute.Float64.Instance, float64 with { Route = "float64" });
            }
            _verdicts[(subject, policy)] = verdict;
            return verdict;
        }
    }

    /// <summary>A second copy of the module in float64 (evaluation mode, no parameter gradients), loaded on first need.</summary>
    jit.ScriptModule<Tensor, Tensor> Float64Copy()
    {
        if (_float64 is not null) return _float64;
        var copy = Load(_path, _device);
        copy.to(ScalarType.Float64);
        copy.eval();
        foreach (var p in copy.parameters()) p.requires_grad = false;
        return _float64 = copy;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _float64?.Dispose();
        base.Dispose(disposing);
    }
}
