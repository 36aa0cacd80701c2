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
            throw new MaskbenchException($"normalization must have {spec.Channels} means and standard deviations, got {spec.Mean.Length} and {spec.Std.Length}");
        if (spec.Std.Any(s => !(s > 0)))
            throw new MaskbenchException("normalization standard deviations must be positive");
        mean = tensor(spec.Mean).reshape(1, spec.Channels, 1, 1).DetachFromDisposeScope();
        std = tensor(spec.Std).reshape(1, spec.Channels, 1, 1).DetachFromDisposeScope();
    }

    public ModelSpec Spec { get; }

    /// <summary>The layers in order, one line each, as written to model.json for readers rebuilding the module.</summary>
    public abstract IReadOnlyList<string> Layers { get; }

    public sealed override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var normalized = (input - mean).div_(std);
        return Classify(normalized).MoveToOuterDisposeScope();
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
