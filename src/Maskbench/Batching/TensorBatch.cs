using TorchSharp;
using static TorchSharp.torch;

namespace Maskbench.Batching;

/// <summary>A batch of a dataset split as tensors: images N×3×S×S in [0,1], masks N×1×S×S (0/1), labels int64.</summary>
public sealed class TensorBatch : IDisposable
{
    public Tensor Images { get; }
    public Tensor Masks { get; }
    public Tensor Labels { get; }
    /// <summary>The rows of the split this batch holds, in order.</summary>
    public int[] Indices { get; }
    public int Count => Indices.Length;

    public TensorBatch(Tensor images, Tensor masks, Tensor labels, int[] indices)
    {
        Images = images;
        Masks = masks;
        Labels = labels;
        Indices = indices;
    }

    /// <summary>Moves all three tensors out of the current dispose scope (to keep a batch beyond it).</summary>
    public TensorBatch MoveToOuterDisposeScope()
    {
        Images.MoveToOuterDisposeScope();
        Masks.MoveToOuterDisposeScope();
        Labels.MoveToOuterDisposeScope();
        return this;
    }

    public void Dispose()
    {
        Images.Dispose();
        Masks.Dispose();
        Labels.Dispose();
    }
}
