using Maskbench.Models;
using static TorchSharp.torch;

namespace Maskbench.Tests.Models;

public class OtherArchitecturesTests
{
    [Fact]
    public void PreActResNet18_keys_and_shortcuts_follow_the_pytorch_code()
    {
        using var model = ModelFactory.Create("preactresnet18", 10, 32, width: 1.0 / 16);
        var keys = model.state_dict().Keys.ToHashSet();
        Assert.Contains("conv1.weight", keys);
        Assert.Contains("layer1.0.bn1.running_var", keys);
        Assert.Contains("layer4.1.conv2.weight", keys);
        Assert.Contains("bn.weight", keys);
        Assert.Contains("linear.bias", keys);
        // Shortcuts only where the shape changes: the first block of stages 2-4.
        Assert.Equal(["layer2.0.shortcut.0.weight", "layer3.0.shortcut.0.weight", "layer4.0.shortcut.0.weight"],
            keys.Where(k => k.Contains("shortcut")).Order(StringComparer.Ordinal).ToArray());
        Assert.DoesNotContain(keys, k => k.StartsWith("conv1.bias"));
        // 8 blocks x (2 BN + 2 conv) + stem conv + final BN + linear + 3 shortcuts + normalization.
        Assert.Equal(8 * (2 * 5 + 2) + 1 + 5 + 2 + 3 + 2, keys.Count);
        model.eval();
        using var logits = model.forward(rand(2, 3, 32, 32));
        Assert.Equal(new long[] { 2, 10 }, logits.shape);
    }

    [Fact]
    public void SmallCnn_takes_28x28_grey_images()
    {
        using var model = ModelFactory.Create("smallcnn", 10, 28, channels: 1);
        Assert.Equal(new long[] { 1024, 64 * 7 * 7 }, model.state_dict()["classifier.0.weight"].shape);
        Assert.Equal(new long[] { 32, 1, 5, 5 }, model.state_dict()["features.0.weight"].shape);
        using var logits = model.forward(rand(2, 1, 28, 28));
        Assert.Equal(new long[] { 2, 10 }, logits.shape);
    }

    [Fact]
    public void Unknown_architecture_names_the_known_ones()
    {
        var e = Assert.Throws<MaskbenchException>(() => ModelFactory.Create("resnet50", 10, 32));
        Assert.Contains("vgg19", e.Message);
    }
}
