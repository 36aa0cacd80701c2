using System.Text.Json.Serialization;
using Maskbench.Attacks;

namespace Maskbench.Experiments;

/// <summary>
/// One evaluation of one model: no attack (natural accuracy) or one L∞ attack of <see cref="AttackRegistry"/> with
/// its budget. <see cref="Threat"/> says which pixels the adversary may change: the whole image, or only the
/// foreground of the model's own mask source (the paper's threat model for masked models: "the adversary is only
/// given access to the foreground pixels").
/// </summary>
public sealed record GridAttack(
    string Attack,
    double Epsilon,
    double StepSize,
    int Steps,
    int Restarts,
    ThreatRegion Threat,
    int TestLimit,
    int Seed,
    [property: JsonConverter(typeof(JsonStringEnumConverter<Precision>))] Precision Precision = Precision.Fp32)
{
    /// <summary>No attack: natural accuracy.</summary>
    public const string None = "none";

    public SortedDictionary<string, string> ToParameters() => new(StringComparer.Ordinal)
    {
        ["attack.name"] = Attack,
        ["attack.epsilon"] = GridModel.Format(Epsilon),
        ["attack.stepSize"] = GridModel.Format(StepSize),
        ["attack.steps"] = GridModel.Format(Steps),
        ["attack.restarts"] = GridModel.Format(Restarts),
        ["attack.threat"] = Threat.Spelling(),
        ["attack.testLimit"] = GridModel.Format(TestLimit),
        ["attack.seed"] = GridModel.Format(Seed),
        ["attack.precision"] = Precision.ToString().ToLowerInvariant(),
    };

    /// <summary>
    /// The attack this cell names, built through <see cref="AttackRegistry"/> with the cell's budget. "none" is PGD at
    /// ε = 0: the attack returns the clean input, so the figure is natural accuracy. The cell's precision is the
    /// precision of the search; the final right/wrong decision is always made in float32.
    /// </summary>
    public IAttack CreateAttack()
    {
        if (Attack == None) return new PgdAttack { Steps = 1, Seed = Seed };
        if (!AttackRegistry.Names.Contains(Attack)) throw new CellUnavailableException($"attack '{Attack}' is not available in this build");
        return AttackRegistry.Create(new AttackRequest
        {
            Name = Attack, Steps = Steps, StepSize = StepSize > 0 ? StepSize : null, Restarts = Math.Max(1, Restarts), Seed = Seed,
            Precision = Precision,
        });
    }
}
