using System.Text.Json.Serialization;

namespace Maskbench.Experiments;

/// <summary>
/// One evaluation of one model: no attack (natural accuracy) or one L∞ attack with its budget. <see cref="Threat"/>
/// says which pixels the adversary may change: the whole image, or only the foreground (the paper's threat model
/// for masked models: "the adversary is only given access to the foreground pixels").
/// </summary>
public sealed record GridAttack(
    string Attack,
    double Epsilon,
    double StepSize,
    int Steps,
    int Restarts,
    string Threat,
    int TestLimit,
    int Seed,
    [property: JsonConverter(typeof(JsonStringEnumConverter<Attacks.Precision>))] Attacks.Precision Precision = Attacks.Precision.Fp32)
{
    public const string None = "none";
    public const string Pgd = "pgd";
    public const string ApgdCe = "apgd-ce";
    public const string ApgdDlr = "apgd-dlr";
    public const string Square = "square";

    public const string FullImage = "full-image";
    public const string Foreground = "foreground";

    public SortedDictionary<string, string> ToParameters() => new(StringComparer.Ordinal)
    {
        ["attack.name"] = Attack,
        ["attack.epsilon"] = GridModel.Format(Epsilon),
        ["attack.stepSize"] = GridModel.Format(StepSize),
        ["attack.steps"] = GridModel.Format(Steps),
        ["attack.restarts"] = GridModel.Format(Restarts),
        ["attack.threat"] = Threat,
        ["attack.testLimit"] = GridModel.Format(TestLimit),
        ["attack.seed"] = GridModel.Format(Seed),
        ["attack.precision"] = Precision.ToString().ToLowerInvariant(),
    };
}
