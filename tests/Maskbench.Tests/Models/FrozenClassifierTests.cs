using Maskbench.Models;
using Maskbench.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Maskbench.Tests.Models;

public class FrozenClassifierTests
{
    /// <summary>
    /// A model whose batch norms are far from the identity: random affine parameters and running statistics. Every
    /// number comes from a generator of its own (not the global one, which tests running in parallel also draw from),
    /// so the model is the same function on every run: He-scaled normal weights, small biases.
    /// </summary>
    static ImageClassifier WithRandomBatchNorms(string arch, int seed, int inputSize, int channels = 3)
    {
        var model = ModelFactory.Create(arch, classes: 7, inputSize: inputSize, width: 1.0 / 8, channels: channels);
        var random = new Generator((ulong)seed);
        using (no_grad())
        {
            foreach (var (_, parameter) in model.named_parameters())
            {
                // Weights He-scaled; biases (batch norms' included, redrawn below) small.
                long fanIn = parameter.dim() < 2 ? 1 : parameter.numel() / parameter.shape[0];
                var draw = randn(parameter.shape, generator: random);
                parameter.copy_(parameter.dim() < 2 ? draw * 0.01 : draw * Math.Sqrt(2.0 / fanIn));
            }
            foreach (var norm in model.modules().OfType<BatchNorm2d>())
            {
                norm.weight!.copy_(rand(norm.weight.shape, generator: random) * 1.5 + 0.5);
                norm.bias!.copy_(randn(norm.bias.shape, generator: random) * 0.5);
                norm.running_mean!.copy_(randn(norm.running_mean.shape, generator: random) * 0.5);
                norm.running_var!.copy_(rand(norm.running_var.shape, generator: random) * 2.8 + 0.2);
            }
        }
        model.eval();
        return model;
    }

    /// <summary>Logits and the input gradient of the summed cross-entropy, through <paramref name="forward"/>.</summary>
    static (Tensor Logits, Tensor Gradient) LogitsAndGradient(Func<Tensor, Tensor> forward, Tensor x, Tensor y)
    {
        var point = x.detach().clone().requires_grad_(true);
        var logits = forward(point).to_type(ScalarType.Float64);
        var loss = nn.functional.cross_entropy(logits, y, reduction: nn.Reduction.Sum);
        var gradient = autograd.grad([loss], [point])[0];
        return (logits.detach(), gradient.to_type(ScalarType.Float64));
    }

    [Theory]
    [InlineData("vgg11", 32)]    // the last block's 2x2 maps run as dense matrices
    [InlineData("vgg19", 32)]
    [InlineData("vgg19", 64)]    // every map at least 4x4: convolutions only
    [InlineData("smallcnn", 28)]
    [InlineData("smallcnn", 4)]  // the 5x5 kernel's window spans the second layer's 2x2 map: dense
    public void Frozen_form_computes_the_eval_mode_function_and_its_input_gradient(string arch, int size)
    {
        using var scope = NewDisposeScope();
        int channels = arch == "smallcnn" ? 1 : 3;
        using var model = WithRandomBatchNorms(arch, 3, size, channels);
        using var frozen32 = model.Freeze(ScalarType.Float32);
        using var frozen64 = model.Freeze(ScalarType.Float64);
        Assert.NotNull(frozen32);
        var x = rand(new long[] { 6, channels, size, size }, ScalarType.Float64, generator: new Generator(5));
        var y = randint(0, 7, new long[] { 6 }, generator: new Generator(6));
        // The oracle: the module itself, unfolded, in float64 (in float32 its own rounding error on a 16-layer net's
        // small input gradients is larger than the folded form's).
        model.to(ScalarType.Float64);
        var (expected, expectedGradient) = LogitsAndGradient(model.call, x, y);
        double scale = expected.abs().max().item<double>(), gradientScale = expectedGradient.abs().max().item<double>();
        Assert.True(gradientScale > 0);
        // In float64, folding and the dense matrices change only the order of exact-to-2^-53 arithmetic.
        var (exact, exactGradient) = LogitsAndGradient(frozen64!.Forward, x, y);
        Assert.True((exact - expected).abs().max().item<double>() <= 1e-12 * scale,
            $"float64 logits differ by {(exact - expected).abs().max().item<double>()} at scale {scale}");
        Assert.True((exactGradient - expectedGradient).abs().max().item<double>() <= 1e-10 * gradientScale);
        // In float32: rounding-sized differences.
        var (actual, gradient) = LogitsAndGradient(frozen32!.Forward, x.to_type(ScalarType.Float32), y);
        Assert.True((actual - expected).abs().max().item<double>() <= 1e-5 * scale,
            $"logits differ by {(actual - expected).abs().max().item<double>()} at scale {scale}");
        Assert.True((gradient - expectedGradient).abs().max().item<double>() <= 1e-4 * gradientScale,
            $"gradients differ by {(gradient - expectedGradient).abs().max().item<double>()} at scale {gradientScale}");
        Assert.Equal(expected.argmax(1).data<long>().ToArray(), actual.argmax(1).data<long>().ToArray());
    }

    [Fact]
    public void A_frozen_form_refuses_maps_of_another_size_than_it_was_built_for()
    {
        using var scope = NewDisposeScope();
        using var model = WithRandomBatchNorms("vgg11", 2, 32);
        using var frozen = model.Freeze(ScalarType.Float32)!;
        using var noGrad = no_grad();
        var error = Assert.Throws<ArgumentException>(() => frozen.Forward(rand(2, 3, 64, 64)));
        Assert.Contains("2x2", error.Message);
    }

    [Fact]
    public void Freezing_leaves_the_model_alone_and_later_weight_changes_do_not_reach_the_copy()
    {
        using var scope = NewDisposeScope();
        using var model = WithRandomBatchNorms("vgg11", 4, 32);
        model.train();
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var x = rand(new long[] { 3, 3, 32, 32 }, generator: new Generator(7));
        using var frozen = model.Freeze(ScalarType.Float32)!;
        Tensor first;
        using (no_grad()) first = frozen.Forward(x);
        Assert.True(model.training);
        foreach (var (key, value) in model.state_dict()) Assert.True(value.eq(before[key]).all().item<bool>(), key);
        using (no_grad())
            foreach (var p in model.parameters()) p.mul_(1.5);
        using (no_grad()) Assert.True(frozen.Forward(x).eq(first).all().item<bool>());
    }

    [Fact]
    public void Bfloat16_form_runs_in_bfloat16_and_stays_close_to_float32()
    {
        using var scope = NewDisposeScope();
        using var model = WithRandomBatchNorms("vgg11", 8, 32);
        using var fp32 = model.Freeze(ScalarType.Float32)!;
        using var bf16 = model.Freeze(ScalarType.BFloat16)!;
        Assert.Equal(ScalarType.BFloat16, bf16.DType);
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        var x = rand(new long[] { 8, 3, 32, 32 }, generator: new Generator(9));
        using var noGrad = no_grad();
        var low = bf16.Forward(x);
        Assert.Equal(ScalarType.BFloat16, low.dtype);
        var high = fp32.Forward(x);
        // bfloat16 keeps 8 significant bits; over eight layers the logits stay within a few percent of their scale.
        double scale = high.abs().max().item<float>();
        Assert.True((low.to_type(ScalarType.Float32) - high).abs().max().item<float>() <= 0.1 * scale);
    }

    [Fact]
    public void Architectures_without_a_feed_forward_form_are_not_frozen()
    {
        using var model = WithRandomBatchNorms("preactresnet18", 1, 32);
        Assert.Null(model.Freeze(ScalarType.Float32));
    }

    [Theory]
    [InlineData(8)]
    [InlineData(24)]
    [InlineData(32)]
    public void Bf16_pooling_gives_exactly_libtorchs_values_and_gradients_at_any_channel_count(int channels)
    {
        // Below a multiple of 16 channels the frozen form pools a float32 copy; values coarse enough to tie often.
        using var scope = NewDisposeScope();
        var g = new Generator(5);
        var values = (randint(0, 7, [4, channels, 8, 8], generator: g).to_type(ScalarType.Float32) / 4 - 0.5).to_type(ScalarType.BFloat16);
        var x = values.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
        var upstream = randn([4, channels, 4, 4], generator: g).to_type(ScalarType.BFloat16);
        var a = x.detach().requires_grad_(true);
        var b = x.detach().requires_grad_(true);
        using var layer = new FrozenClassifier.Layer.MaxPool(2);
        var ours = layer.Apply(a);
        var libtorch = nn.functional.max_pool2d(b, 2, 2);
        Assert.Equal(ScalarType.BFloat16, ours.dtype);
        Assert.True(ours.eq(libtorch).all().item<bool>());
        ours.backward([upstream]);
        libtorch.backward([upstream]);
        Assert.True(a.grad!.eq(b.grad!).all().item<bool>(), "gradients differ");
    }
}
