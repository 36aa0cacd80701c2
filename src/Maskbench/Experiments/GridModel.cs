using Maskbench.Masks.Sources;
using System.Globalization;
using System.Text.Json.Serialization;
using Maskbench.Masks;

namespace Maskbench.Experiments;

/// <summary>
/// One model of the grid: how it is trained (natural, or adversarially with PGD after Madry et al. 2018) and
/// what it sees: the image multiplied by the masks of its <see cref="MaskSource"/> (none: the plain image; the dataset's
/// ground truth: the paper's masked model; a random twin: the random-mask control). Every property is part of the
/// training cell's key.
/// </summary>
public sealed record GridModel(
    string Id,
    string Training,
    MaskSource Mask,
    string Arch,
    double Width,
    int Epochs,
    int BatchSize,
    double LearningRate,
    int TrainLimit,
    double TrainEpsilon,
    double TrainStepSize,
    int TrainSteps,
    int Seed,
    int TrainEpsilonWarmup = 0,
    [property: JsonConverter(typeof(JsonStringEnumConverter<Training.LearningRateSchedule>))] Training.LearningRateSchedule Schedule =
        Training.LearningRateSchedule.Multistep,
    [property: JsonConverter(typeof(JsonStringEnumConverter<Attacks.Precision>))] Attacks.Precision Precision = Attacks.Precision.Fp32)
{
    public const string Natural = "natural";
    public const string Adversarial = "adversarial";

    public bool IsAdversarial => Training == Adversarial;

    /// <summary>The input as the paper's rows and the report name it ("plain", "masked", "random-mask"), from the mask source.</summary>
    [JsonIgnore] public string Input => InputName(Mask.Kind);

    public static string InputName(MaskKind kind) => kind switch
    {
        MaskKind.None => "plain",
        MaskKind.GroundTruth => "masked",
        MaskKind.RandomTwin => "random-mask",
        MaskKind.Predicted => "predicted-mask",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>
    /// The canonical parameters hashed into the cell key (invariant formatting, round-trip doubles). The training
    /// precision enters only when it is not float32, so the keys of float32 cells are those they always had.
    /// </summary>
    public SortedDictionary<string, string> ToParameters()
    {
        var parameters = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["model.id"] = Id,
            ["model.training"] = Training,
            ["model.input"] = Input,
            ["model.arch"] = Arch,
            ["model.width"] = Format(Width),
            ["model.epochs"] = Format(Epochs),
            ["model.batchSize"] = Format(BatchSize),
            ["model.learningRate"] = Format(LearningRate),
            ["model.trainLimit"] = Format(TrainLimit),
            ["model.trainEpsilon"] = Format(TrainEpsilon),
            ["model.trainStepSize"] = Format(TrainStepSize),
            ["model.trainSteps"] = Format(TrainSteps),
            ["model.seed"] = Format(Seed),
            ["model.trainEpsilonWarmup"] = Format(TrainEpsilonWarmup),
            ["model.schedule"] = Schedule.ToString().ToLowerInvariant(),
        };
        foreach (var (key, value) in Mask.Parameters()) parameters[key] = value;
        if (Precision != Attacks.Precision.Fp32) parameters["model.precision"] = Precision.ToString().ToLowerInvariant();
        return parameters;
    }

    /// <summary>The Table 4 row this model belongs to ("natural-plain"); seed replicas share it.</summary>
    public string BaseId => $"{Training}-{Input}";
    /// <summary>A further training seed of a model (<c>--seeds K</c>), evaluated for Table 4's mean ± sd only.</summary>
    public bool IsReplica => Id != BaseId;

    internal static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
    internal static string Format(int value) => value.ToString(CultureInfo.InvariantCulture);
}
