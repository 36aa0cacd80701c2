using Maskbench.Kernels;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Maskbench.Models;

/// <summary>
/// PreAct ResNet-18 (He et al. 2016) for small inputs, the network of the fast adversarial training paper (Wong et
/// al. 2020): conv3x3 stem, four stages of two <see cref="PreActBlock"/>s (64, 128, 256, 512 channels; stride 2 from
/// the second stage on), a final BN-ReLU, global average pooling and a linear layer. Keys: <c>conv1</c>,
/// <c>layer1.0.bn1</c> ... <c>layer4.1.conv2</c>, <c>bn</c>, <c>linear</c>.
/// </summary>
public sealed class PreActResNet18 : ImageClassifier
{
    readonly Conv2d conv1;
    readonly Sequential layer1;
    readonly Sequential layer2;
    readonly Sequential layer3;
    readonly Sequential layer4;
    readonly BatchNorm2d bn;
    readonly Linear linear;
    readonly List<string> layers = [];

    public PreActResNet18(ModelSpec spec) : base(nameof(PreActResNet18), spec)
    {
        if (spec.InputSize < 8 || spec.InputSize % 8 != 0)
            throw new MaskbenchException($"PreActResNet18 needs an input size divisible by 8 (three stride-2 stages), got {spec.InputSize}");
        int stem = spec.Scaled(64);
        conv1 = nn.Conv2d(spec.Channels, stem, kernel_size: 3, stride: 1, padding: 1, bias: false);
        layers.Add($"conv1: Conv2d({spec.Channels}, {stem}, kernel_size=3, stride=1, padding=1, bias=False)");
        int inChannels = stem;
        layer1 = Stage("layer1", ref inChannels, spec.Scaled(64), 1);
        layer2 = Stage("layer2", ref inChannels, spec.Scaled(128), 2);
        layer3 = Stage("layer3", ref inChannels, spec.Scaled(256), 2);
        layer4 = Stage("layer4", ref inChannels, spec.Scaled(512), 2);
        bn = nn.BatchNorm2d(inChannels);
        linear = nn.Linear(inChannels, spec.Classes);
        layers.Add($"bn: BatchNorm2d({inChannels}), then ReLU and global average pooling, flatten");
        layers.Add($"linear: Linear({inChannels}, {spec.Classes})");
        RegisterComponents();
    }

    Sequential Stage(string name, ref int inChannels, int outChannels, int stride)
    {
        var first = new PreActBlock(inChannels, outChannels, stride);
        var second = new PreActBlock(outChannels, outChannels, 1);
        layers.Add($"{name}.0: PreActBlock({inChannels}, {outChannels}, "
            + $"stride={stride}){(first.HasShortcut ? " with shortcut.0 = Conv2d 1x1, bias=False" : "")}");
        layers.Add($"{name}.1: PreActBlock({outChannels}, {outChannels}, stride=1)");
        inChannels = outChannels;
        return nn.Sequential(first, second);
    }

    public override IReadOnlyList<string> Layers => layers;

    protected override Tensor Classify(Tensor normalized)
    {
        var x = CheckedConvolution.Forward(conv1, normalized);
        x = layer4.forward(layer3.forward(layer2.forward(layer1.forward(x))));
        x = nn.functional.relu(bn.forward(x));
        x = nn.functional.adaptive_avg_pool2d(x, 1).flatten(1);
        return CheckedLayers.Forward(linear, x);
    }
}
