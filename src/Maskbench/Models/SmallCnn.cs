using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Maskbench.Models;

/// <summary>
/// The small MNIST network of Madry et al. 2018 ("Towards Deep Learning Models Resistant to Adversarial Attacks"):
/// conv5x5(32)-ReLU-maxpool2, conv5x5(64)-ReLU-maxpool2, linear(1024)-ReLU, linear(classes). Padding 2 keeps the
/// side, so an S x S input (S divisible by 4, 28 for MNIST) gives 64 x (S/4)^2 features.
/// Keys: <c>features.0</c>, <c>features.3</c>, <c>classifier.0</c>, <c>classifier.2</c>.
/// </summary>
public sealed class SmallCnn : ImageClassifier
{
    readonly Sequential features;
    readonly Sequential classifier;
    readonly List<string> layers;

    public SmallCnn(ModelSpec spec) : base(nameof(SmallCnn), spec)
    {
        if (spec.InputSize < 4 || spec.InputSize % 4 != 0)
            throw new MaskbenchException($"SmallCnn needs an input size divisible by 4 (two 2x2 poolings), got {spec.InputSize}");
        int c1 = spec.Scaled(32), c2 = spec.Scaled(64), hidden = spec.Scaled(1024);
        int side = spec.InputSize / 4;
        int flat = c2 * side * side;
        features = nn.Sequential(
            nn.Conv2d(spec.Channels, c1, kernel_size: 5, padding: 2), nn.ReLU(), nn.MaxPool2d(kernel_size: 2, stride: 2),
            nn.Conv2d(c1, c2, kernel_size: 5, padding: 2), nn.ReLU(), nn.MaxPool2d(kernel_size: 2, stride: 2));
        classifier = nn.Sequential(nn.Linear(flat, hidden), nn.ReLU(), nn.Linear(hidden, spec.Classes));
        layers =
        [
            $"features.0: Conv2d({spec.Channels}, {c1}, kernel_size=5, padding=2)", "features.1: ReLU()",
            "features.2: MaxPool2d(kernel_size=2, stride=2)",
            $"features.3: Conv2d({c1}, {c2}, kernel_size=5, padding=2)", "features.4: ReLU()", "features.5: MaxPool2d(kernel_size=2, stride=2)",
            "flatten(start_dim=1)",
            $"classifier.0: Linear({flat}, {hidden})", "classifier.1: ReLU()", $"classifier.2: Linear({hidden}, {spec.Classes})",
        ];
        RegisterComponents();
    }

    public override IReadOnlyList<string> Layers => layers;

    public override FrozenClassifier Freeze(ScalarType dtype)
    {
        var conv = features.children().OfType<Conv2d>().ToArray();
        var linear = classifier.children().OfType<Linear>().ToArray();
        return new FrozenClassifier.Builder(this, dtype)
            .Convolution(conv[0], null, padding: 2).Relu().MaxPool(2)
            .Convolution(conv[1], null, padding: 2).Relu().MaxPool(2)
            .Flatten().Linear(linear[0]).Relu().Linear(linear[1]).Build();
    }

    protected override Tensor Classify(Tensor normalized) => CheckedLayers.Forward(classifier, CheckedLayers.Forward(features, normalized)
        .flatten(1));
}
