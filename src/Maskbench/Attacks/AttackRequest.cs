namespace Maskbench.Attacks;

/// <summary>The attack settings a user gives by name (the CLI's --attack, --steps, --step-size, --restarts, ...).</summary>
public sealed record AttackRequest
{
    /// <summary>One of <see cref="AttackRegistry.Names"/>.</summary>
    public required string Name { get; init; }
    /// <summary>Iterations (queries for square); null: the attack's default (<see cref="AttackEntry.DefaultSteps"/>).</summary>
    public int? Steps { get; init; }
    /// <summary>PGD's α; null: 2.5·ε/steps.</summary>
    public double? StepSize { get; init; }
    public int Restarts { get; init; } = 1;
    /// <summary>PGD only: start from the clean input instead of a random point of the ball.</summary>
    public bool RandomStart { get; init; } = true;
    public int Seed { get; init; }
    public bool EarlyStop { get; init; } = true;
    public Precision Precision { get; init; } = Precision.Fp32;
}
