using static TorchSharp.torch;

namespace Maskbench.Attacks;

/// <summary>
/// What an attack sees of a classifier: logits for a batch of inputs in [0,1] (N x C x H x W, float32).
/// <see cref="Logits"/> is the exact model and decides whether an input fools it; <see cref="LogitsForGradient"/> is what
/// gradients flow through, and differs only for models with non-differentiable steps (BPDA, Athalye et al. 2018).
/// </summary>
public interface IAttackTarget
{
    /// <summary>The exact forward pass (float32 logits, N x classes).</summary>
    Tensor Logits(Tensor inputs);

    /// <summary>A differentiable stand-in with the same forward values where possible; the default is the model itself.</summary>
    Tensor LogitsForGradient(Tensor inputs) => Logits(inputs);

    /// <summary>
    /// True when <see cref="LogitsForGradient"/> returns exactly <see cref="Logits"/>, so attacks may reuse its values to decide fooled/not.
    /// </summary>
    bool GradientLogitsAreExact => true;

    /// <summary>
    /// The same model restricted to rows <paramref name="indices"/> (int64) of the batch: per-example state such as input masks follows.
    /// </summary>
    IAttackTarget Select(Tensor indices);

    /// <summary>
    /// Readies the model for an attack (evaluation mode, no parameter gradients, the asked precision) until the returned
    /// object is disposed, which restores it exactly. Targets that cannot run in bfloat16 refuse it.
    /// </summary>
    IDisposable Prepare(Precision precision) =>
        precision == Precision.Fp32 ? NoPreparation.Instance : throw new MaskbenchException($"{GetType().Name} cannot run in {precision}");
}

internal sealed class NoPreparation : IDisposable
{
    public static readonly NoPreparation Instance = new();
    public void Dispose() { }
}
