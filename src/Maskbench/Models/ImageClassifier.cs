using TorchSharp;
using static TorchSharp.torch;

namespace Maskbench.Models;

/// <summary>
/// A classifier of images in [0,1] (N x C x S x S) returning logits (N x classes). Normalization
/// <c>(x - mean) / std</c> happens inside, with mean and std held as buffers named <c>mean</c> and <c>std</c>
/// (shape 1 x C x 1 x 1) so they travel with the state dict and attacks work in pixel space.
/// </summary>
public abstract class ImageClassifier : nn.Module<Tensor, Tensor>
{
    // Field names are the state-dict keys (TorchSharp registers fields by name), so they follow PyTorch spelling.
    readonly Tensor mean;
    readonly Tensor std;

    protected ImageClassifier(string name, ModelSpec spec) : base(name)
    {
        Spec = spec;
        if (spec.Mean.Length != spec.Channels || spec.Std.Length != spec.Channels)
            throw new MaskbenchException($"normalization must have {spec.Channels} means and standard deviations, got {spec.Mean.Length} and "
                + $"{spec.Std.Length}");
        if (spec.Std.Any(s => !(s > 0)))
            throw new MaskbenchException("normalization standard deviations must be positive");
        mean = tensor(spec.Mean).reshape(1, spec.Channels, 1, 1).DetachFromDisposeScope();
        std = tensor(spec.Std).reshape(1, spec.Channels, 1, 1).DetachFromDisposeScope();
    }

    public ModelSpec Spec { get; }

    /// <summary>
    /// The dtype the layers compute in: float32, or bfloat16 inside <see cref="ComputeIn"/> (mixed-precision training).
    /// Parameters stay float32 either way (the master weights); each layer casts its weights to the activations' dtype
    /// inside the autograd graph, so weight gradients arrive in float32, as under PyTorch's <c>torch.autocast</c>.
    /// Batch norm runs on bfloat16 activations with float32 statistics and affine parameters (libtorch's mixed-type
    /// CPU batch norm); logits are returned in the input's dtype.
    /// </summary>
    public ScalarType ComputeType { get; private set; } = ScalarType.Float32;

    /// <summary>
    /// Whether float32 input is laid out channels-last (NHWC in memory) before the layers: inside <see cref="ComputeIn"/>
    /// (training steps), in either dtype. libtorch's CPU kernels for convolutions (oneDNN), batch norm and max pooling
    /// are vectorized over channels in that layout; max pooling on NCHW maps runs a scalar loop 4–5 times slower
    /// (VGG-11 at width 1/8, batch 64: a float32 training step takes 0.70 of its NCHW time). Outside, the layers run on
    /// the input as given (NCHW), so evaluation and the float64 oracle are unchanged.
    /// </summary>
    public bool ChannelsLast { get; private set; }

    /// <summary>
    /// Computes in <paramref name="dtype"/>, channels-last (<see cref="ChannelsLast"/>), until the returned scope is
    /// disposed (then as before). This is the training step's mode, float32 and bf16 alike.
    /// </summary>
    public IDisposable ComputeIn(ScalarType dtype)
    {
        if (dtype is not (ScalarType.Float32 or ScalarType.BFloat16))
            throw new ArgumentException($"a classifier computes in float32 or bfloat16, not {dtype}", nameof(dtype));
        var previous = (ComputeType, ChannelsLast);
        ComputeType = dtype;
        ChannelsLast = true;
        return new Restore(() => (ComputeType, ChannelsLast) = previous);
    }

    sealed class Restore(Action restore) : IDisposable
    {
        bool done;
        public void Dispose()
        {
            if (done) return;
            done = true;
            restore();
        }
    }

    /// <summary>The layers in order, one line each, as written to model.json for readers rebuilding the module.</summary>
    public abstract IReadOnlyList<string> Layers { get; }

    public sealed override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var normalized = (input - mean).div_(std);
        if (normalized.dtype != ScalarType.Float32 || (ComputeType == ScalarType.Float32 && !ChannelsLast))
            return Classify(normalized).MoveToOuterDisposeScope();
        // Channels-last (NHWC in memory), the layout oneDNN's kernels work in; convolutions, batch norm, ReLU and
        // pooling keep it (see FrozenClassifier.ToChannelsLast).
        var computed = ComputeType == normalized.dtype ? normalized : normalized.to_type(ComputeType);
        var logits = Classify(computed.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2));
        return (logits.dtype == input.dtype ? logits : logits.to_type(input.dtype)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// An evaluation-mode copy of this classifier's function in <paramref name="dtype"/>, batch norms folded, for
    /// attacks (<see cref="FrozenClassifier"/>); null where the architecture has no such form (then attacks run the module).
    /// </summary>
    public virtual FrozenClassifier? Freeze(ScalarType dtype) => null;

    /// <summary>Logits of normalized input.</summary>
    protected abstract Tensor Classify(Tensor normalized);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            mean.Dispose();
            std.Dispose();
        }
        base.Dispose(disposing);
    }
}
