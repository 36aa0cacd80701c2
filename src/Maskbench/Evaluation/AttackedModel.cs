using Maskbench.Attacks;
using Maskbench.Batching;
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
        if (!Directory.Exists(path)) throw new MaskbenchException($"{path}: no such run folder");
        var run = new RunFolder(path);
        var info = run.ReadInfo();
        string checkpoint = run.PreferredCheckpoint();
        var model = ModelFactory.Create(info.Model);
        Checkpoint.Load(checkpoint, model, optimizer: null);
        model.to(device);
        model.eval();
        return FromModule(model, info.Model.Masked || maskedInput, $"{info.Model.Description}, {Path.GetFileName(checkpoint)} of {path}");
    }

    /// <summary>A TorchScript file exported from PyTorch (torch.jit.save) taking N x 3 x S x S inputs in [0,1].</summary>
    public static AttackedModel FromTorchScript(string path, Device device, bool maskedInput)
    {
        if (!File.Exists(path)) throw new MaskbenchException($"{path}: no such TorchScript file");
        nn.Module<Tensor, Tensor> module;
        try { module = new ScriptedClassifier(jit.load<Tensor, Tensor>(path, device.type, device.index)); }
        catch (Exception e) when (e is not MaskbenchException)
        {
            throw new MaskbenchException($"{path}: not a loadable TorchScript module ({e.Message.ReplaceLineEndings(" ")})");
        }
        return FromModule(module, maskedInput, $"TorchScript {Path.GetFileName(path)}" + (maskedInput ? " (masked input)" : ""));
    }
}

/// <summary>A TorchScript module seen as an ordinary module, so that eval mode and parameter freezing reach it.</summary>
internal sealed class ScriptedClassifier : nn.Module<Tensor, Tensor>
{
    readonly jit.ScriptModule<Tensor, Tensor> _script;

    public ScriptedClassifier(jit.ScriptModule<Tensor, Tensor> script) : base("ScriptedClassifier")
    {
        _script = script;
        register_module("script", script);
    }

    public override Tensor forward(Tensor input) => _script.call(input);
}
