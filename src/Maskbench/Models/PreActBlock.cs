using Maskbench.Kernels;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Maskbench.Models;

/// <summary>
/// The pre-activation residual block of He et al. 2016 ("Identity Mappings in Deep Residual Networks"):
/// BN-ReLU-conv3x3-BN-ReLU-conv3x3 plus an identity or 1x1-convolution shortcut taken after the first BN-ReLU.
/// Submodule names (<c>bn1</c>, <c>conv1</c>, <c>bn2</c>, <c>conv2</c>, <c>shortcut.0</c>) follow the common PyTorch code.
/// </summary>
public sealed class PreActBlock : nn.Module<Tensor, Tensor>
{
    readonly BatchNorm2d bn1;
    readonly Conv2d conv1;
    readonly BatchNorm2d bn2;
    readonly Conv2d conv2;
    readonly Sequential? shortcut;

    public PreActBlock(int inChannels, int outChannels, int stride) : base(nameof(PreActBlock))
    {
        bn1 = nn.BatchNorm2d(inChannels);
        conv1 = nn.Conv2d(inChannels, outChannels, kernel_size: 3, stride: stride, padding: 1, bias: false);
        bn2 = nn.BatchNorm2d(outChannels);
        conv2 = nn.Conv2d(outChannels, outChannels, kernel_size: 3, stride: 1, padding: 1, bias: false);
        if (stride != 1 || inChannels != outChannels)
            shortcut = nn.Sequential(nn.Conv2d(inChannels, outChannels, kernel_size: 1, stride: stride, bias: false));
        HasShortcut = shortcut is not null;
        RegisterComponents();
    }

    public bool HasShortcut { get; }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var activated = nn.functional.relu(bn1.forward(input));
        var skip = shortcut is null ? input : CheckedLayers.Forward(shortcut, activated);
        var output = CheckedConvolution.Forward(conv1, activated);
        output = CheckedConvolution.Forward(conv2, nn.functional.relu(bn2.forward(output)));
        return output.add_(skip).MoveToOuterDisposeScope();
    }
}
