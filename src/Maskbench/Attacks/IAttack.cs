using static TorchSharp.torch;

namespace Maskbench.Attacks;

/// <summary>Anything that attacks a batch: a single attack or an ensemble of them.</summary>
public interface IAttack
{
    string Name { get; }

    /// <summary>
    /// Attacks inputs <paramref name="x"/> with labels <paramref name="y"/> under <paramref name="threat"/>; rows where
    /// <paramref name="exclude"/> is true are left alone. <paramref name="cleanLogits"/>, when the caller has them, are
    /// the float32 target's logits at <paramref name="x"/> (N x K); the attack then skips its own clean pass (an ε
    /// sweep or an ensemble computes them once instead of once per ε or member). <paramref name="window"/>, when given,
    /// bounds how many rows the model sees at a time (a large input is then searched in batches of that size).
    /// </summary>
    AttackResult Run(IAttackTarget target, Tensor x, Tensor y, ThreatModel threat, Tensor? exclude = null, Tensor? cleanLogits = null,
        int? window = null);
}
