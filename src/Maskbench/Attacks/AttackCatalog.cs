namespace Maskbench.Attacks;

/// <summary>The attack settings a user gives by name (the CLI's --attack, --steps, --step-size, --restarts, ...).</summary>
public sealed record AttackRequest
{
    /// <summary>pgd, fgsm, apgd-ce, apgd-dlr, apgd-t, square or suite.</summary>
    public required string Name { get; init; }
    /// <summary>Iterations (queries for square); null: the attack's default.</summary>
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

/// <summary>Builds attacks from their names, with the literature's defaults where a setting is left out.</summary>
public static class AttackCatalog
{
    public static IReadOnlyList<string> Names { get; } = ["pgd", "fgsm", "apgd-ce", "apgd-dlr", "apgd-t", "square", "suite"];

    public static IAttack Create(AttackRequest r)
    {
        if (r.Steps is < 1) throw new MaskbenchException($"attack steps must be at least 1, got {r.Steps}");
        if (r.StepSize is double alpha && !(alpha >= 0 && alpha <= 1)) throw new MaskbenchException($"the step size must lie in [0, 1], got {alpha}");
        if (r.Restarts < 1) throw new MaskbenchException($"restarts must be at least 1, got {r.Restarts}");
        return Build(r);
    }

    static IAttack Build(AttackRequest r) => r.Name.ToLowerInvariant() switch
    {
        "pgd" => new PgdAttack { Steps = r.Steps ?? 20, StepSize = r.StepSize, Restarts = r.Restarts, RandomStart = r.RandomStart, Seed = r.Seed, EarlyStop = r.EarlyStop, Precision = r.Precision },
        "fgsm" => new FgsmAttack { Seed = r.Seed, Precision = r.Precision },
        "apgd-ce" => new ApgdAttack { Steps = r.Steps ?? 100, Restarts = r.Restarts, Loss = AttackLoss.CrossEntropy, Seed = r.Seed, EarlyStop = r.EarlyStop, Precision = r.Precision },
        "apgd-dlr" => new ApgdAttack { Steps = r.Steps ?? 100, Restarts = r.Restarts, Loss = AttackLoss.Dlr, Seed = r.Seed, EarlyStop = r.EarlyStop, Precision = r.Precision },
        "apgd-t" => new ApgdAttack { Steps = r.Steps ?? 100, Restarts = r.Restarts, TargetClasses = 9, Seed = r.Seed, EarlyStop = r.EarlyStop, Precision = r.Precision },
        "square" => new SquareAttack { Steps = r.Steps ?? 5000, Seed = r.Seed, EarlyStop = r.EarlyStop, Precision = r.Precision },
        "suite" => new AttackEnsemble("suite",
        [
            new ApgdAttack { Steps = r.Steps ?? 100, Loss = AttackLoss.CrossEntropy, Seed = r.Seed, EarlyStop = r.EarlyStop, Precision = r.Precision },
            new ApgdAttack { Steps = r.Steps ?? 100, TargetClasses = 9, Seed = r.Seed, EarlyStop = r.EarlyStop, Precision = r.Precision },
            new SquareAttack { Steps = 5000, Seed = r.Seed, EarlyStop = r.EarlyStop, Precision = r.Precision },
        ]),
        _ => throw new MaskbenchException($"unknown attack '{r.Name}'; known: {string.Join(", ", Names)}"),
    };
}
