using Maskbench.Evaluation;
using TorchSharp;

namespace Maskbench.Cli.Commands;

/// <summary>
/// Resolves `--model` for `maskbench attack`: a TorchScript file now; training run folders once the models work
/// (Maskbench.Training.RunFolder + checkpoint loading) is merged — that is the one place to connect it.
/// </summary>
static class AttackModels
{
    public static AttackedModel Load(string path, torch.Device device, bool maskedInput)
    {
        if (File.Exists(path)) return AttackedModel.FromTorchScript(path, device, maskedInput);
        if (Directory.Exists(path))
            throw new MaskbenchException($"{path}: loading training run folders is not connected yet (it arrives with the models work); export the model to TorchScript and pass the .pt file");
        throw new MaskbenchException($"{path}: no such model file or run folder");
    }
}
