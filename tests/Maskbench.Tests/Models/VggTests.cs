using Maskbench.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Maskbench.Tests.Models;

public class VggTests
{
    /// <summary>The key list a PyTorch VGG-BN of the same configuration has, built from the paper's table directly.</summary>
    static List<string> PyTorchKeys(int[] config)
    {
        var keys = new List<string> { "mean", "std" };
        int index = 0;
        foreach (int c in config)
        {
            if (c == 0) { index++; continue; }
            keys.Add($"features.{index}.weight"); keys.Add($"features.{index}.bias");
            foreach (var k in new[] { "weight", "bias", "running_mean", "running_var", "num_batches_tracked" }) keys.Add($"features.{index + 1}.{k}");
            index += 3;
        }
        keys.Add("classifier.weight"); keys.Add("classifier.bias");
        return keys;
    }

    [Theory]
    [InlineData("vgg11", 11)]
    [InlineData("vgg16", 16)]
    [InlineData("vgg19", 19)]
    public void State_dict_keys_are_those_of_the_pytorch_module(string arch, int depth)
    {
        using var model = ModelFactory.Create(arch, classes: 10, inputSize: 32, width: 1.0 / 16);
        var keys = model.state_dict().Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
        var expected = PyTorchKeys(Vgg.Configurations[depth]).OrderBy(k => k, StringComparer.Ordinal).ToList();
        Assert.Equal(expected, keys);
    }

    [Fact]
    public void Vgg19_has_16_convolutions_and_the_published_parameter_count_at_full_width()
    {
        using var model = ModelFactory.Create("vgg19", classes: 10, inputSize: 32);
        var convs = model.state_dict().Where(kv => kv.Key.StartsWith("features.") && kv.Value.dim() == 4).ToList();
        Assert.Equal(16, convs.Count);
        long parameters = model.parameters().Sum(p => p.numel());
        // 20,040,522 for the CIFAR-style VGG-19-BN with a 512->10 classifier (sum over the config by hand:
        // conv weights+biases 20,024,384, BN 2 x 5,504 = 11,008, linear 5,130).
        Assert.Equal(20_040_522, parameters);
    }

    [Fact]
    public void Classifier_input_grows_with_the_input_size()
    {
        using var small = ModelFactory.Create("vgg11", 5, 32, width: 1.0 / 16);
        using var large = ModelFactory.Create("vgg11", 5, 64, width: 1.0 / 16);
        Assert.Equal(new long[] { 5, 32 }, small.state_dict()["classifier.weight"].shape);
        Assert.Equal(new long[] { 5, 32 * 4 }, large.state_dict()["classifier.weight"].shape);
        large.eval();
        using var logits = large.forward(rand(2, 3, 64, 64));
        Assert.Equal(new long[] { 2, 5 }, logits.shape);
    }

    [Fact]
    public void Rejects_sizes_not_divisible_by_32()
    {
        Assert.Throws<MaskbenchException>(() => ModelFactory.Create("vgg19", 10, 48));
    }

    [Fact]
    public void Normalization_inside_equals_normalizing_outside()
    {
        manual_seed(3);
        var spec = new ModelSpec { Arch = "vgg11", Classes = 4, InputSize = 32, Width = 1.0 / 16, Mean = [0.4f, 0.5f, 0.6f],
            Std = [0.2f, 0.25f, 0.3f] };
        using var normalizing = ModelFactory.Create(spec);
        using var plain = ModelFactory.Create(spec with { Mean = [0f, 0f, 0f], Std = [1f, 1f, 1f] });
        var weights = normalizing.state_dict().Where(kv => kv.Key is not ("mean" or "std")).ToDictionary(kv => kv.Key, kv => kv.Value);
        plain.load_state_dict(weights, strict: false);
        normalizing.eval(); plain.eval();
        using var x = rand(3, 3, 32, 32);
        using var mean = tensor(new[] { 0.4f, 0.5f, 0.6f }).reshape(1, 3, 1, 1);
        using var std = tensor(new[] { 0.2f, 0.25f, 0.3f }).reshape(1, 3, 1, 1);
        using var a = normalizing.forward(x);
        using var b = plain.forward((x - mean) / std);
        Assert.True(a.allclose(b, rtol: 1e-5, atol: 1e-5));
    }
}
