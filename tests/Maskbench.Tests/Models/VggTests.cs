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

    /// <summary>
    /// The network as PyTorch's nn.Sequential runs it: every layer of <c>features</c> in order (ReLU before pooling), then the classifier.
    /// </summary>
    static Tensor SequentialReference(ImageClassifier model, Tensor input)
    {
        var parts = model.named_children().ToDictionary(c => c.name, c => c.module);
        var state = model.state_dict();
        var x = (input - state["mean"]).div_(state["std"]);
        foreach (var layer in ((TorchSharp.Modules.Sequential)parts["features"]).children())
            x = ((nn.Module<Tensor, Tensor>)layer).call(x);
        return ((nn.Module<Tensor, Tensor>)parts["classifier"]).call(x.flatten(1));
    }

    static (Tensor Logits, Dictionary<string, Tensor> Gradients) TrainStep(ImageClassifier model, Tensor x, Tensor labels, bool reference,
        ScalarType? compute = null)
    {
        model.train();
        model.zero_grad();
        using var mode = compute is null ? null : model.ComputeIn(compute.Value);
        var logits = reference ? SequentialReference(model, x) : model.forward(x);
        nn.functional.cross_entropy(logits, labels).backward();
        return (logits.detach(), model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone()));
    }

    static (ImageClassifier, ImageClassifier) Twins(double width)
    {
        manual_seed(11);
        var a = ModelFactory.Create("vgg11", 5, 32, width: width);
        var b = ModelFactory.Create("vgg11", 5, 32, width: width);
        b.load_state_dict(a.state_dict());
        return (a, b);
    }

    [Fact]
    public void Forward_gives_exactly_the_values_and_gradients_of_the_layers_in_sequence()
    {
        // The module runs ReLU after each pooling instead of before; max commutes with ReLU, values and gradients alike.
        using var scope = NewDisposeScope();
        var (model, twin) = Twins(1.0 / 8);
        var x = rand(6, 3, 32, 32);
        var labels = randint(0, 5, [6], dtype: ScalarType.Int64);
        var (logits, grads) = TrainStep(model, x, labels, reference: false);
        var (expected, expectedGrads) = TrainStep(twin, x, labels, reference: true);
        Assert.True(logits.eq(expected).all().item<bool>(), "logits differ from the sequential network's");
        foreach (var (name, g) in expectedGrads) Assert.True(grads[name].eq(g).all().item<bool>(),
            $"{name}: gradient differs from the sequential network's");
        foreach (var key in new[] { "features.1.running_mean", "features.1.running_var", "features.26.running_var" })
            Assert.True(model.state_dict()[key].eq(twin.state_dict()[key]).all().item<bool>(), $"{key} differs");
    }

    [Fact]
    public void A_training_step_channels_last_agrees_with_the_NCHW_network()
    {
        using var scope = NewDisposeScope();
        var (model, twin) = Twins(1.0 / 4);
        var x = rand(6, 3, 32, 32);
        var labels = randint(0, 5, [6], dtype: ScalarType.Int64);
        var (logits, grads) = TrainStep(model, x, labels, reference: false, compute: ScalarType.Float32);
        var (expected, expectedGrads) = TrainStep(twin, x, labels, reference: true);
        Assert.False(model.ChannelsLast);
        Assert.True((logits - expected).abs().max().item<float>() <= 1e-5 * expected.abs().max().item<float>(), "logits");
        // A convolution's bias before batch norm has a gradient of zero in exact arithmetic (the norm removes the mean),
        // so rounding is all there is of it: errors are taken against the largest gradient's scale where a gradient is that small (1%).
        double scale = expectedGrads.Values.Max(g => g.norm().item<float>());
        foreach (var (name, g) in expectedGrads)
        {
            double error = (grads[name] - g).norm().item<float>() / Math.Max(g.norm().item<float>(), 1e-2 * scale);
            Assert.True(error < 1e-4, $"{name}: channels-last gradient differs by {error:E2} of its norm");
        }
    }

    [Fact]
    public void A_bf16_step_with_an_8_channel_block_agrees_with_float32_to_bf16_tolerance()
    {
        // At width 1/8 the first block has 8 channels: its batch norm, ReLU and pooling run on a float32 copy. Early
        // layers' gradients in train mode are mostly cancellation (batch norm removes their mean), so bf16 moves each by
        // 20–25% at width 1/8 and 1/4 alike (MixedPrecisionTrainingTests compare whole updates); the logits, the output layer's
        // gradient and the 8-channel batch norm's statistics are checked here.
        using var scope = NewDisposeScope();
        var (model, twin) = Twins(1.0 / 8);
        var x = rand(16, 3, 32, 32);
        var labels = randint(0, 5, [16], dtype: ScalarType.Int64);
        var (logits, grads) = TrainStep(model, x, labels, reference: false, compute: ScalarType.BFloat16);
        var (expected, expectedGrads) = TrainStep(twin, x, labels, reference: true);
        Assert.Equal(ScalarType.Float32, logits.dtype);
        double logitError = (logits - expected).norm().item<float>() / expected.norm().item<float>();
        Assert.True(logitError is > 0 and < 0.03, $"bf16 logits differ from float32's by {logitError:E2}");
        double output = (grads["classifier.weight"] - expectedGrads["classifier.weight"]).norm()
            .item<float>() / expectedGrads["classifier.weight"].norm().item<float>();
        Assert.True(output < 0.05, $"classifier.weight: bf16 gradient differs from float32's by {output:P1}");
        var mean = model.state_dict()["features.1.running_mean"];
        var reference = twin.state_dict()["features.1.running_mean"];
        Assert.True((mean - reference).abs().max().item<float>() < 0.02 * reference.abs().max().item<float>() + 1e-3,
            "running mean of the 8-channel batch norm");
    }
}
