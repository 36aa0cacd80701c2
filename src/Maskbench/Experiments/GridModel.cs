using System.Globalization;
using System.Text.Json.Serialization;

namespace Maskbench.Experiments;

/// <summary>
/// One model of the grid: how it is trained (natural, or adversarially with PGD after Madry et al. 2018) and
/// what it sees (the plain image, the image with its background zeroed by the foreground mask as in the paper,
/// or the random-mask control). Every property is part of the training cell's key.
/// </summary>
public sealed record GridModel(
    string Id,
    string Training,
    string Input,
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
    [property: JsonConverter(typeof(JsonStringEnumConverter<Training.LearningRateSchedule>))] Training.LearningRateSchedule Schedule = Training.LearningRateSchedule.Multistep,
    [property: JsonConverter(typeof(JsonStringEnumConverter<Attacks.Precision>))] Attacks.Precision Precision = Attacks.Precision.Fp32)
{
    public const string Natural = "natural";
    public const string Adversarial = "adversarial";
    public const string Plain = "plain";
    public const string Masked = "masked";
    /// <summary>The control: as many mask pixels as the true foreground, at random places (<see cref="RandomMaskControl"/>).</summary>
    public const string RandomMask = "random-mask";

    public bool IsAdversarial => Training == Adversarial;
    /// <summary>Whether the model multiplies its input by a mask (true or random).</summary>
    public bool UsesMask => Input != Plain;

    /// <summary>
    /// The canonical parameters hashed into the cell key (invariant formatting, round-trip doubles). The training
    /// precision enters only when it is not float32, so the keys of float32 cells are those they always had.
    /// </summary>
    public SortedDictionary<string, string> ToParameters()
    {
        var parameters = BaseParameters();
        if (Precision != Attacks.Precision.Fp32) parameters["model.precision"] = Precision.ToString().ToLowerInvariant();
        return parameters;
    }

    SortedDictionary<string, string> BaseParameters() => new(StringComparer.Ordinal)
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

    /// <summary>The Table 4 row this model belongs to ("natural-plain"); seed replicas share it.</summary>
    public string BaseId => $"{Training}-{Input}";
    /// <summary>A further training seed of a model (<c>--seeds K</c>), evaluated for Table 4's mean ± sd only.</summary>
    public bool IsReplica => Id != BaseId;

    internal static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
    internal static string Format(int value) => value.ToString(CultureInfo.InvariantCulture);
}
