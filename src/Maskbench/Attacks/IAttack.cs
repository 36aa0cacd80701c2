using static TorchSharp.torch;

namespace Maskbench.Attacks;

/// <summary>Anything that attacks a batch: a single attack or an ensemble of them.</summary>
public interface IAttack
{
    string Name { get; }

    /// <summary>
    /// Attacks inputs <paramref name="x"/> with labels <paramref name="y"/> under <paramref name="threat"/>; rows where
    /// <paramref name="exclude"/> is true are left alone.
    /// </summary>
    AttackResult Run(IAttackTarget target, Tensor x, Tensor y, ThreatModel threat, Tensor? exclude = null);
}
