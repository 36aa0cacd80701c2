using Maskbench.Attacks;

namespace Maskbench.Experiments;

/// <summary>
/// Builds the attack a grid cell names. "none" is any attack at ε = 0 (the attack returns the clean input, so the
/// figure is natural accuracy). Attacks not present in this build make the cell unavailable rather than
/// substituting another attack under the same name.
/// </summary>
public static class AttackCatalog
{
    public static Attack Create(GridAttack spec) => spec.Attack switch
    {
        GridAttack.None => new PgdAttack { Steps = 1, Seed = spec.Seed },
        GridAttack.Pgd => new PgdAttack { Steps = spec.Steps, StepSize = spec.StepSize, Restarts = Math.Max(1, spec.Restarts), Seed = spec.Seed },
        _ => throw new CellUnavailableException($"attack '{spec.Attack}' is not available in this build"),
    };
}

/// <summary>A cell this build cannot compute (for example an attack not yet implemented); the grid goes on without it.</summary>
public sealed class CellUnavailableException(string message) : MaskbenchException(message);
