using static TorchSharp.torch;

namespace Maskbench.Attacks;

/// <summary>
/// A preprocessing step a model applies to its input that gradients cannot pass (thresholding, binarization).
/// Gradient attacks use <see cref="BackwardSubstitute"/> in its place: BPDA, Athalye, Carlini and Wagner 2018.
/// </summary>
public interface IDifferentiablePreprocessing
{
    /// <summary>The exact step.</summary>
    Tensor Forward(Tensor x);

    /// <summary>Same values as <see cref="Forward"/> (up to rounding) with a usable gradient.</summary>
    Tensor BackwardSubstitute(Tensor x);
}

/// <summary>
/// x ↦ 1[x ≥ threshold], with the straight-through estimator (identity gradient) as its backward substitute:
/// forward x + (b(x) − x).detach(), whose value is b(x) and whose derivative is 1.
/// </summary>
public sealed class Binarize(double threshold = 0.5) : IDifferentiablePreprocessing
{
    public double Threshold { get; } = threshold;

    public Tensor Forward(Tensor x) => x.ge(Threshold).to_type(x.dtype);

    public Tensor BackwardSubstitute(Tensor x)
    {
        using var scope = NewDisposeScope();
        var hard = Forward(x.detach());
        return (x + (hard - x).detach()).MoveToOuterDisposeScope();
    }
}

/// <summary>A target whose model first applies <see cref="Preprocessing"/>; gradient attacks see its substitute.</summary>
public sealed class PreprocessedTarget(IDifferentiablePreprocessing preprocessing, IAttackTarget inner) : IAttackTarget
{
    public IDifferentiablePreprocessing Preprocessing { get; } = preprocessing;
    public IAttackTarget Inner { get; } = inner;

    public Tensor Logits(Tensor inputs)
    {
        using var scope = NewDisposeScope();
        return Inner.Logits(Preprocessing.Forward(inputs)).MoveToOuterDisposeScope();
    }

    public Tensor LogitsForGradient(Tensor inputs)
    {
        using var scope = NewDisposeScope();
        return Inner.LogitsForGradient(Preprocessing.BackwardSubstitute(inputs)).MoveToOuterDisposeScope();
    }

    public bool GradientLogitsAreExact => false;

    public IAttackTarget Select(Tensor indices) => new PreprocessedTarget(Preprocessing, Inner.Select(indices));

    public IDisposable Prepare(Precision precision) => Inner.Prepare(precision);
}
