using Maskbench.Attacks;
using static TorchSharp.torch;

namespace Maskbench.Experiments.Mnist;

/// <summary>
/// A model behind a hard threshold, attacked with its true gradient: the threshold's derivative is zero almost
/// everywhere, so plain PGD gets no signal (the "obfuscated gradient" of Athalye, Carlini and Wagner 2018). The
/// forward value is the thresholded input; <c>0 · x</c> keeps the graph connected so the gradient is an exact zero
/// rather than an error.
/// </summary>
public sealed class ThresholdTarget(IAttackTarget inner, double threshold = 0.5) : IAttackTarget
{
    public Tensor Logits(Tensor inputs)
    {
        using var scope = NewDisposeScope();
        return inner.Logits(inputs.ge(threshold).to_type(inputs.dtype)).MoveToOuterDisposeScope();
    }

    public Tensor LogitsForGradient(Tensor inputs)
    {
        using var scope = NewDisposeScope();
        var hard = inputs.detach().ge(threshold).to_type(inputs.dtype);
        return inner.LogitsForGradient(hard + inputs * 0).MoveToOuterDisposeScope();
    }

    public IAttackTarget Select(Tensor indices) => new ThresholdTarget(inner.Select(indices), threshold);

    public IDisposable Prepare(Precision precision) => inner.Prepare(precision);
}
