using Maskbench.Attacks;
using Maskbench.Batching;
using Maskbench.Kernels;
using Maskbench.Models;
using Maskbench.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Maskbench.Evaluation;

/// <summary>
/// A classifier to evaluate, as the evaluator needs it: an attack target for each batch (a masked model takes that
/// batch's foreground masks), and whether it is a masked model (which makes the foreground threat the default).
/// </summary>
public sealed class AttackedModel(string description, Func<TensorBatch, IAttackTarget> targetFor, bool usesForegroundMask)
{
    public string Description { get; } = description;
    public bool UsesForegroundMask { get; } = usesForegroundMask;
    public IAttackTarget TargetFor(TensorBatch batch) => targetFor(batch);

    /// <summary>A TorchSharp module; with <paramref name="maskedInput"/> it sees x ⊙ foreground mask.</summary>
    public static AttackedModel FromModule(nn.Module<Tensor, Tensor> model, bool maskedInput, string description) =>
        new(description, batch => new ModuleTarget(model, maskedInput ? batch.Masks : null), maskedInput);

    /// <summary>
    /// The model of a `maskbench train` run folder (run.json with best.ckpt or last.ckpt), on <paramref name="device"/>
    /// in eval mode. A masked model (or any, with <paramref name="maskedInput"/>) is fed x ⊙ foreground mask, as in training.
    /// </summary>
    public static AttackedModel FromRunFolder(string path, Device device, bool maskedInput = false)
    {
        var (model, checkpoint) = LoadClassifier(path, device);
        return FromModule(model, model.Spec.Masked || maskedInput, $"{model.Spec.Description}, {Path.GetFileName(checkpoint)} of {path}");
    }

    /// <summary>The classifier of a training run folder (best.ckpt, else last.ckpt), in evaluation mode on <paramref name="device"/>.</summary>
    public static (ImageClassifier Model, string Checkpoint) LoadClassifier(string path, Device device)
    {
        if (!Directory.Exists(path)) throw new MaskbenchException($"{path}: no such run folder");
        var run = new RunFolder(path);
        var info = run.ReadInfo();
        string checkpoint = run.PreferredCheckpoint();
        var model = ModelFactory.Create(info.Model);
        Checkpoint.Load(checkpoint, model, optimizer: null);
        model.to(device);
        model.eval();
        return (model, checkpoint);
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
            var direct = WholeModelProbe.Run(x => _script.call(x.to_type(dtype)).to_type(ScalarType.Float32), x => Float64Copy().call(x), batch, input.shape[1], input.shape[2], input.shape[3],
                dtype == ScalarType.Float32 ? WholeModelProbe.Tolerance : WholeModelProbe.LowPrecisionTolerance);
            KernelVerdict verdict;
            if (policy == KernelPolicy.Auto && direct.Passed) verdict = new(subject, direct, ConvolutionRoute.Direct.Instance, direct);
            else
            {
                var float64 = WholeModelProbe.Run(x => Float64Copy().call(x.to_type(ScalarType.Float64)).to_type(ScalarType.Float32), x => Float64Copy().call(x), batch, input.shape[1], input.shape[2], input.shape[3]);
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
