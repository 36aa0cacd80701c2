using Maskbench.Kernels;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Maskbench.Models;

/// <summary>
/// VGG with batch normalization (Simonyan and Zisserman 2015, "Very Deep Convolutional Networks"; batch norm after
/// each convolution as in Ioffe and Szegedy 2015) in the small-input style used throughout the adversarial-training
/// literature: stacks of conv3x3-BN-ReLU separated by 2x2 max pooling, five poolings, then a single linear layer on
/// the flattened 512 x (S/32)^2 features. Submodules are <c>features</c> (an indexed sequence: conv at i, BN at i+1,
/// ReLU at i+2, pooling alone) and <c>classifier</c>, so state-dict keys are those of the equivalent PyTorch module.
/// </summary>
public sealed class Vgg : ImageClassifier
{
    /// <summary>Channel counts per convolution, 0 marks a max pooling ("M" in the paper's tables).</summary>
    public static readonly IReadOnlyDictionary<int, int[]> Configurations = new Dictionary<int, int[]>
    {
        [11] = [64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0],
        [13] = [64, 64, 0, 128, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0],
        [16] = [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0],
        [19] = [64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0, 512, 512, 512, 512, 0],
    };

    readonly Sequential features;
    readonly Linear classifier;
    readonly List<string> layers = [];
    // The features as conv3x3-BN-ReLU blocks, each followed by a pooling or not (every VGG pooling follows a block).
    readonly List<(Conv2d Conv, BatchNorm2d Norm, bool Pool)> blocks = [];

    public Vgg(int depth, ModelSpec spec) : base("VGG" + depth, spec)
    {
        if (!Configurations.TryGetValue(depth, out var config))
            throw new MaskbenchException($"VGG depth {depth} is not one of 11, 13, 16, 19");
        if (spec.InputSize < 32 || spec.InputSize % 32 != 0)
            throw new MaskbenchException($"VGG needs an input size divisible by 32 (five 2x2 poolings), got {spec.InputSize}");
        var modules = new List<nn.Module<Tensor, Tensor>>();
        int inChannels = spec.Channels;
        foreach (int c in config)
        {
            int index = modules.Count;
            if (c == 0)
            {
                modules.Add(nn.MaxPool2d(kernel_size: 2, stride: 2));
                layers.Add($"features.{index}: MaxPool2d(kernel_size=2, stride=2)");
                continue;
            }
            int outChannels = spec.Scaled(c);
            modules.Add(nn.Conv2d(inChannels, outChannels, kernel_size: 3, padding: 1));
            modules.Add(nn.BatchNorm2d(outChannels));
            modules.Add(nn.ReLU(inplace: true));
            layers.Add($"features.{index}: Conv2d({inChannels}, {outChannels}, kernel_size=3, padding=1)");
            layers.Add($"features.{index + 1}: BatchNorm2d({outChannels})");
            layers.Add($"features.{index + 2}: ReLU()");
            inChannels = outChannels;
        }
        int side = spec.InputSize / 32;
        int flat = inChannels * side * side;
        features = nn.Sequential(modules);
        for (int i = 0; i < modules.Count; i++)
            if (modules[i] is Conv2d conv)
                blocks.Add((conv, (BatchNorm2d)modules[i + 1], i + 3 < modules.Count && modules[i + 3] is MaxPool2d));
        classifier = nn.Linear(flat, spec.Classes);
        layers.Add("flatten(start_dim=1)");
        layers.Add($"classifier: Linear({flat}, {spec.Classes})");
        RegisterComponents();
    }

    public override IReadOnlyList<string> Layers => layers;

    public override FrozenClassifier Freeze(ScalarType dtype)
    {
        var frozen = new FrozenClassifier.Builder(this, dtype);
        var modules = features.children().ToList();
        for (int i = 0; i < modules.Count; i++)
        {
            switch (modules[i])
            {
                case MaxPool2d:
                    frozen.MaxPool(2);
                    break;
                case Conv2d conv:
                    frozen.Convolution(conv, (BatchNorm2d)modules[i + 1], padding: 1);
                    i += 2;   // the batch norm (folded) and the ReLU
                    // ReLU then 2x2 max pooling equals pooling then ReLU, values and gradients alike (max commutes with a
                    // monotone map; where the window's max is ≤ 0 both give zero gradient), and the ReLU then runs on a
                    // quarter of the elements.
                    if (i + 1 < modules.Count && modules[i + 1] is MaxPool2d)
                    {
                        frozen.MaxPool(2).Relu();
                        i++;
                    }
                    else frozen.Relu();
                    break;
                default:
                    throw new InvalidOperationException($"unexpected layer {modules[i].GetName()} in {GetName()}");
            }
        }
        return frozen.Flatten().Linear(classifier).Build();
    }

    /// <summary>
    /// The layers of <c>features</c> then the classifier, as <see cref="Sequential"/> would run them, with two changes
    /// that leave every value and gradient as they are:
    /// <list type="bullet">
    /// <item>Where a 2×2 max pooling follows, the ReLU runs after it (max commutes with a monotone map, gradients
    /// included; see <see cref="Freeze"/>), on a quarter of the elements.</item>
    /// <item>On bfloat16 activations whose channel count is not a multiple of 16, batch norm, ReLU and pooling run on a
    /// float32 copy of the convolution's output, cast back to bfloat16 before the next layer: libtorch's channels-last
    /// bfloat16 kernels for these ops work on 16 channels at a time and fall back to a scalar loop for the rest, about
    /// twice (batch norm) and three times (pooling) the float32 kernels' time at 8 channels. The float32 batch norm
    /// computes in float32 as the bfloat16 kernel does inside; rounding to bfloat16 commutes with max and ReLU, so the
    /// next layer receives the same bfloat16 values as before (up to the kernels' summation order, and pooling ties
    /// that only bfloat16 rounding made).</item>
    /// <item>Channels-last float32 batch norm in training over fewer than 16 channels runs its backward pass on one
    /// thread (<see cref="OneThreadBackward"/>): the single-threaded kernel's values, 2–3 times faster there.</item>
    /// </list>
    /// </summary>
    protected override Tensor Classify(Tensor normalized)
    {
        var compute = normalized.dtype;
        var x = normalized;
        foreach (var (conv, norm, pool) in blocks)
        {
            if (x.dtype != compute) x = x.to_type(compute);
            x = CheckedConvolution.Forward(conv, x);
            if (x.dtype == ScalarType.BFloat16 && x.shape[1] % 16 != 0) x = x.to_type(ScalarType.Float32);
            x = ChannelsLast && norm.training && x.dtype == ScalarType.Float32 && OneThreadBackward.BatchNormContends(x.shape[1])
                ? OneThreadBackward.Apply(x, norm.call) : norm.call(x);
            x = pool ? nn.functional.max_pool2d(x, 2, 2).relu_() : x.relu_();
        }
        if (x.dtype != compute) x = x.to_type(compute);
        return CheckedLayers.Forward(classifier, x.flatten(1));
    }
}
