using Maskbench.Evaluation;
using Maskbench.Models;
using TorchSharp;

namespace Maskbench.Cli.Commands;

/// <summary>
/// Resolves `--model` for `maskbench attack`: a training run folder (run.json + best.ckpt or last.ckpt; a masked model
/// is fed x ⊙ foreground mask, as in training) or a TorchScript .pt file exported from PyTorch.
/// </summary>
static class AttackModels
{
    public static AttackedModel Load(string path, torch.Device device, bool maskedInput)
    {
        if (File.Exists(path)) return AttackedModel.FromTorchScript(path, device, maskedInput);
        if (!Directory.Exists(path)) throw new MaskbenchException($"{path}: no such run folder or TorchScript file");
        return AttackedModel.FromRunFolder(path, device, maskedInput);
    }

    /// <summary>The classifier of a run folder (best.ckpt, else last.ckpt), in eval mode on <paramref name="device"/>.</summary>
    public static (ImageClassifier Model, string Checkpoint) LoadRun(string path, torch.Device device) =>
        Directory.Exists(path) ? AttackedModel.LoadClassifier(path, device) : throw new MaskbenchException($"{path}: no such run folder or TorchScript file");
}
