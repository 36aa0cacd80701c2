using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Maskbench.Masks.Learned;

/// <summary>
/// A small U-Net (Ronneberger, Fischer and Brox 2015) that predicts a foreground mask from an image: input N x C x S x S
/// in [0,1], output N x 1 x S x S mask logits (sigmoid gives the soft mask). Each level is two 3x3 convolutions with
/// batch norm and ReLU; 2x2 max pooling goes down, a 2x2 stride-2 transposed convolution goes up and its output is
/// concatenated with the level's encoder features (skip connection); a 1x1 convolution gives the logit. The input is
/// normalized inside, (x − 0.5)/0.5, so attacks work in pixel space. Keys follow the PyTorch module of
/// docs/learned-masks.md: <c>down.{k}.{0,1,3,4}</c>, <c>bottleneck.{0,1,3,4}</c>, <c>up.{k}</c>, <c>decode.{k}.{0,1,3,4}</c>, <c>head</c>.
/// </summary>
public sealed class MaskUNet : nn.Module<Tensor, Tensor>
{
    readonly ModuleList<Sequential> down;
    readonly Sequential bottleneck;
    readonly ModuleList<ConvTranspose2d> up;
    readonly ModuleList<Sequential> decode;
    readonly Conv2d head;

    public MaskerSpec Spec { get; }

    public MaskUNet(MaskerSpec spec) : base(nameof(MaskUNet))
    {
        spec.Validate();
        Spec = spec;
        int Width(int level) => spec.BaseWidth << level;
        down = new ModuleList<Sequential>();
        decode = new ModuleList<Sequential>();
        up = new ModuleList<ConvTranspose2d>();
        int inChannels = spec.Channels;
        for (int level = 0; level < spec.Depth; level++)
        {
            down.Add(DoubleConvolution(inChannels, Width(level)));
            inChannels = Width(level);
        }
        bottleneck = DoubleConvolution(inChannels, Width(spec.Depth));
        // up[k] and decode[k] bring level k+1 back to level k; they run from the deepest level upward.
        for (int level = 0; level < spec.Depth; level++)
        {
            up.Add(nn.ConvTranspose2d(Width(level + 1), Width(level), kernel_size: 2, stride: 2));
            decode.Add(DoubleConvolution(2 * Width(level), Width(level)));
        }
        head = nn.Conv2d(Width(0), 1, kernel_size: 1);
        RegisterComponents();
    }

    static Sequential DoubleConvolution(int inChannels, int outChannels) => nn.Sequential(
        nn.Conv2d(inChannels, outChannels, kernel_size: 3, padding: 1, bias: false), nn.BatchNorm2d(outChannels), nn.ReLU(),
        nn.Conv2d(outChannels, outChannels, kernel_size: 3, padding: 1, bias: false), nn.BatchNorm2d(outChannels), nn.ReLU());

    /// <summary>Mask logits, N x 1 x S x S.</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = (input - 0.5) / 0.5;
        var skips = new List<Tensor>();
        for (int level = 0; level < Spec.Depth; level++)
        {
            x = down[level].forward(x);
            skips.Add(x);
            x = nn.functional.max_pool2d(x, 2, 2);
        }
        x = bottleneck.forward(x);
        for (int level = Spec.Depth - 1; level >= 0; level--)
            x = decode[level].forward(cat([skips[level], up[level].forward(x)], 1));
        return head.forward(x).MoveToOuterDisposeScope();
    }

    /// <summary>sigmoid(logits): the soft mask in (0,1).</summary>
    public Tensor SoftMask(Tensor input)
    {
        using var scope = NewDisposeScope();
        return forward(input).sigmoid().MoveToOuterDisposeScope();
    }

    public long ParameterCount => parameters().Sum(p => p.numel());

    /// <summary>The layers in order, one line each, as written to model.json for readers rebuilding the module.</summary>
    public IReadOnlyList<string> Layers
    {
        get
        {
            var lines = new List<string> { "input: (x - 0.5) / 0.5" };
            int Width(int level) => Spec.BaseWidth << level;
            string Double(string name, int cin, int cout) =>
                $"{name}: Sequential(Conv2d({cin}, {cout}, 3, padding=1, bias=False), BatchNorm2d({cout}), ReLU(), Conv2d({cout}, {cout}, 3, "
                    + $"padding=1, bias=False), BatchNorm2d({cout}), ReLU())";
            int cin = Spec.Channels;
            for (int level = 0; level < Spec.Depth; level++)
            {
                lines.Add(Double($"down.{level}", cin, Width(level)) + ", then max_pool2d(2, 2) (the pre-pool output is skip {level})");
                cin = Width(level);
            }
            lines.Add(Double("bottleneck", cin, Width(Spec.Depth)));
            for (int level = Spec.Depth - 1; level >= 0; level--)
            {
                lines.Add($"up.{level}: ConvTranspose2d({Width(level + 1)}, {Width(level)}, kernel_size=2, stride=2)");
                lines.Add(Double($"decode.{level}", 2 * Width(level), Width(level)) + $" on cat([skip {level}, up.{level}(x)], dim=1)");
            }
            lines.Add($"head: Conv2d({Width(0)}, 1, kernel_size=1) -> mask logits");
            return lines;
        }
    }
}
