namespace Maskbench.Attacks;

/// <summary>What an attack's iteration budget (<see cref="AttackRequest.Steps"/>) counts.</summary>
public enum AttackBudget
{
    /// <summary>Gradient steps per restart.</summary>
    Steps,
    /// <summary>Model queries per example (score-based attacks).</summary>
    Queries,
    /// <summary>A single step; the budget is not used.</summary>
    Single,
}

/// <summary>
/// One attack known by name: its literature defaults, and how a request's settings bind to it. <see cref="InGridSuite"/>
/// puts it in the grid's strong suite (one cell per model, combined per example with the paper's PGD by the report).
/// </summary>
public sealed record AttackEntry(string Name, string Title, string Reference, int? DefaultSteps, AttackBudget Budget, bool InGridSuite,
    Func<AttackRequest, int, IAttack> Bind)
{
    /// <summary>The attack for <paramref name="request"/>, its budget defaulted.</summary>
    public IAttack Create(AttackRequest request) => Bind(request, request.Steps ?? DefaultSteps ?? 1);
}

/// <summary>
/// Every attack the library builds by name, each with its literature defaults and option binding, held once: the
/// `attack` command, the grid (<see cref="GridSuite"/>), the report and docs/attacks.md all read this list. Adding an
/// attack is its class plus one entry here.
/// </summary>
public static class AttackRegistry
{
    public const string Pgd = "pgd", Fgsm = "fgsm", ApgdCe = "apgd-ce", ApgdDlr = "apgd-dlr", ApgdT = "apgd-t", Square = "square", Suite = "suite";

    /// <summary>The names as help text lists them (attributes need a constant; a test checks it against <see cref="All"/>).</summary>
    public const string NameList = Pgd + ", " + Fgsm + ", " + ApgdCe + ", " + ApgdDlr + ", " + ApgdT + ", " + Square + " or " + Suite;

    /// <summary>The defaults as help text states them (a test checks every number against <see cref="All"/>).</summary>
    public const string DefaultsText = "Default: 20 for pgd, 100 for apgd-ce, apgd-dlr and apgd-t, 5000 queries for square; the suite passes it to "
        + "every member.";

    public static IReadOnlyList<AttackEntry> All { get; } =
    [
        new(Pgd, "PGD", "Madry et al. 2018", PgdAttack.DefaultSteps, AttackBudget.Steps, false, (r, steps) => new PgdAttack
        {
            Steps = steps, StepSize = r.StepSize, Restarts = r.Restarts, RandomStart = r.RandomStart, Seed = r.Seed, EarlyStop = r.EarlyStop,
            Precision = r.Precision,
        }),
        new(Fgsm, "FGSM", "Goodfellow et al. 2015", null, AttackBudget.Single, false, (r, _) =>
            new FgsmAttack { Seed = r.Seed, Precision = r.Precision }),
        new(ApgdCe, "APGD-CE", "Croce and Hein 2020", ApgdAttack.DefaultSteps, AttackBudget.Steps, true, (r, steps) => new ApgdAttack
        {
            Steps = steps, Restarts = r.Restarts, Loss = AttackLoss.CrossEntropy, Seed = r.Seed, EarlyStop = r.EarlyStop, Precision = r.Precision,
        }),
        new(ApgdDlr, "APGD-DLR", "Croce and Hein 2020", ApgdAttack.DefaultSteps, AttackBudget.Steps, true, (r, steps) => new ApgdAttack
        {
            Steps = steps, Restarts = r.Restarts, Loss = AttackLoss.Dlr, Seed = r.Seed, EarlyStop = r.EarlyStop, Precision = r.Precision,
        }),
        new(ApgdT, "APGD-T", "Croce and Hein 2020", ApgdAttack.DefaultSteps, AttackBudget.Steps, false, (r, steps) => new ApgdAttack
        {
            Steps = steps, Restarts = r.Restarts, TargetClasses = ApgdAttack.DefaultTargetClasses, Seed = r.Seed, EarlyStop = r.EarlyStop,
            Precision = r.Precision,
        }),
        new(Square, "Square", "Andriushchenko et al. 2020", SquareAttack.DefaultQueries, AttackBudget.Queries, true, (r, queries) => new SquareAttack
        {
            Steps = queries, Seed = r.Seed, EarlyStop = r.EarlyStop, Precision = r.Precision,
        }),
        // AutoAttack's standard version; each member binds the request as it would alone (its own default budget).
        new(Suite, "suite (APGD-CE, APGD-T, Square)", "Croce and Hein 2020", null, AttackBudget.Steps, false, (r, _) => new AttackEnsemble(Suite,
            [Create(r with { Name = ApgdCe }), Create(r with { Name = ApgdT }), Create(r with { Name = Square })])),
    ];

    public static IReadOnlyList<string> Names { get; } = All.Select(e => e.Name).ToList();

    /// <summary>The attacks of the grid's strong suite, in the order their cells are listed.</summary>
    public static IReadOnlyList<AttackEntry> GridSuite { get; } = All.Where(e => e.InGridSuite).ToList();

    public static AttackEntry Find(string name) =>
        All.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new MaskbenchException($"unknown attack '{name}'; known: {string.Join(", ", Names)}");

    /// <summary>The attack a request names, with the literature's defaults where a setting is left out.</summary>
    public static IAttack Create(AttackRequest r)
    {
        if (r.Steps is < 1) throw new MaskbenchException($"attack steps must be at least 1, got {r.Steps}");
        if (r.StepSize is double alpha && !(alpha >= 0 && alpha <= 1)) throw new MaskbenchException($"the step size must lie in [0, 1], got {alpha}");
        if (r.Restarts < 1) throw new MaskbenchException($"restarts must be at least 1, got {r.Restarts}");
        return Find(r.Name).Create(r);
    }
}
