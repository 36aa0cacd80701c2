using Maskbench.Attacks;

namespace Maskbench.Experiments;

/// <summary>
/// The attack a grid cell names, built through <see cref="Attacks.AttackCatalog"/> with the cell's budget. "none"
/// is PGD at ε = 0: the attack returns the clean input, so the figure is natural accuracy. The cell's precision is the
/// precision of the search; the final right/wrong decision is always made in float32.
/// </summary>
public static class GridAttacks
{
    public static IAttack Create(GridAttack spec) => spec.Attack switch
    {
        GridAttack.None => new PgdAttack { Steps = 1, Seed = spec.Seed },
        GridAttack.Pgd => Attacks.AttackCatalog.Create(new AttackRequest
        {
            Name = "pgd", Steps = spec.Steps, StepSize = spec.StepSize, Restarts = Math.Max(1, spec.Restarts), Seed = spec.Seed, Precision = spec.Precision,
        }),
        GridAttack.ApgdCe or GridAttack.ApgdDlr or GridAttack.Square => Attacks.AttackCatalog.Create(new AttackRequest
        {
            Name = spec.Attack, Steps = spec.Steps, Restarts = Math.Max(1, spec.Restarts), Seed = spec.Seed, Precision = spec.Precision,
        }),
        _ => throw new CellUnavailableException($"attack '{spec.Attack}' is not available in this build"),
    };
}

/// <summary>A cell this build cannot compute (for example an attack it does not have); the grid goes on without it.</summary>
public sealed class CellUnavailableException(string message) : MaskbenchException(message);
