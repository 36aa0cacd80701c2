using System.ComponentModel;
using System.Text.Json;
using Maskbench.Attacks;
using Maskbench.Cli.Rendering;
using Maskbench.Data;
using Maskbench.Evaluation;
using Maskbench.Evaluation.Pipeline;
using Maskbench.Experiments;
using Maskbench.Masks.Learned;
using Maskbench.Runtime;
using Spectre.Console.Cli;
using Maskbench.Files;

namespace Maskbench.Cli.Commands;

sealed class AttackPipelineSettings : DeviceSettings
{
    [CommandOption("--model <RUN>")]
    [Description("Classifier run folder (train --masked); it sees the image times the predicted mask.")]
    public string Model { get; init; } = "";

    [CommandOption("--masker <DIR>")]
    [Description("Masker folder (train-masker).")]
    public string Masker { get; init; } = "";

    [CommandOption("--data <DATASET>")]
    public string Data { get; init; } = "";

    [CommandOption("--split <NAME>")]
    [DefaultValue("test")]
    public string Split { get; init; } = "test";

    [CommandOption("--mask-mode <MODE>")]
    [Description("threshold (foreground where σ(logit) ≥ 0.5, the deployed mask) or soft (σ(logit)).")]
    [DefaultValue("threshold")]
    public string MaskMode { get; init; } = "threshold";

    [CommandOption("--threat <REGION>")]
    [Description("Base threat region of the non-adaptive, end-to-end and BPDA attacks: " + ThreatRegions.Help
        + " The pipeline's own mask is the masker's thresholded prediction on the clean image.")]
    [DefaultValue("foreground")]
    public string Threat { get; init; } = "foreground";

    [CommandOption("--attacks <LIST>")]
    [Description("Comma-separated subset of non-adaptive, end-to-end, straight-through, mask-growth, full-image (default: all that apply).")]
    public string? Attacks { get; init; }

    [CommandOption("--eps <EPS>")]
    [DefaultValue("8/255")]
    public string Eps { get; init; } = "8/255";

    [CommandOption("--steps <K>")]
    [Description("PGD steps of each attack (and of the mask-growth stage).")]
    [DefaultValue(20)]
    public int Steps { get; init; } = 20;

    [CommandOption("--limit <N>")]
    [Description("The first N examples of the split.")]
    public int? Limit { get; init; }

    [CommandOption("--batch <N>")]
    [DefaultValue(100)]
    public int Batch { get; init; } = 100;

    [CommandOption("--seed <S>")]
    [DefaultValue(0)]
    public int Seed { get; init; }

    [CommandOption("--out <FILE>")]
    [Description("Write the evaluation (accuracies with intervals, mask IoU, examples) as JSON.")]
    public string? Out { get; init; }

    [CommandOption("--examples <PNG>")]
    [Description("Write an image grid: clean image, clean mask, attacked mask, perturbation.")]
    public string? Examples { get; init; }

    public override Spectre.Console.ValidationResult Validate()
    {
        foreach (var (value, name) in new[] { (Model, "--model"), (Masker, "--masker"), (Data, "--data") })
            if (string.IsNullOrWhiteSpace(value)) return Spectre.Console.ValidationResult.Error($"{name} is required");
        return base.Validate();
    }

    /// <summary>The evaluation's settings, from the options (--steps sets the mask-growth stage's steps too).</summary>
    public PipelineAttackOptions Options(TorchSharp.torch.Device device) => new()
    {
        Epsilon = Fraction.TryParse(Eps, out double eps) ? eps
            : throw new MaskbenchException($"--eps {Eps}: expected a number such as 0.031 or a fraction such as 8/255"),
        Steps = Steps,
        GrowthSteps = Steps,
        Seed = Seed,
        Limit = Limit,
        BatchSize = Batch,
        Device = device,
        Region = OptionChoice.Threat(Threat, "--threat"),
        Attacks = Attacks?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(ParseAttack).ToArray(),
    };

    /// <summary>The mask the classifier sees: thresholded or soft.</summary>
    public Attacks.MaskMode Mode() => OptionChoice.Parse<Attacks.MaskMode>(MaskMode, "--mask-mode");

    static PipelineAttack ParseAttack(string name) => name.ToLowerInvariant() switch
    {
        "non-adaptive" => PipelineAttack.NonAdaptive,
        "end-to-end" => PipelineAttack.EndToEnd,
        "straight-through" or "bpda" => PipelineAttack.StraightThrough,
        "mask-growth" => PipelineAttack.MaskGrowth,
        "full-image" => PipelineAttack.FullImage,
        _ => throw new MaskbenchException(
            $"--attacks: unknown attack '{name}' (expected non-adaptive, end-to-end, straight-through, mask-growth, full-image)"),
    };
}

/// <summary>`maskbench attack-pipeline`: parses, loads, then <see cref="PipelineEvaluator.Evaluate"/> does the work.</summary>
sealed class AttackPipelineCommand : Command<AttackPipelineSettings>
{
    public override int Execute(CommandContext context, AttackPipelineSettings settings, CancellationToken cancellationToken)
    {
        var device = TorchRuntime.SelectDevice(settings.Device);
        var options = settings.Options(device);
        var mode = settings.Mode();
        using var masker = new MaskerRun(settings.Masker).Load(device);
        var (classifier, _) = AttackedModel.LoadClassifier(settings.Model, device);
        using var _classifier = classifier;
        if (classifier.Spec.Channels != masker.Spec.Channels)
            throw new MaskbenchException($"{settings.Model}: the classifier takes {classifier.Spec.Channels}-channel images, the masker "
                + $"{masker.Spec.Channels}-channel ones; the pipeline feeds both the same image");
        using var dataset = DatasetStore.Open(settings.Data);
        if (!dataset.HasSplit(settings.Split))
            throw new MaskbenchException($"{settings.Data} has no split '{settings.Split}'; it has {string.Join(", ", dataset.SplitNames)}");
        var data = dataset.Split(settings.Split).Load();
        if (data.ImageSize != masker.Spec.InputSize)
            throw new MaskbenchException($"{settings.Masker}: the masker takes {masker.Spec.InputSize}x{masker.Spec.InputSize} images, "
                + $"{settings.Data} has {data.ImageSize}x{data.ImageSize}");
        var report = ConsoleProgress.Run(settings, sink => PipelineEvaluator.Evaluate(masker, new ModuleTarget(classifier), mode, data,
            options, sink));
        Console.WriteLine($"pipeline: {settings.Masker} ({mode.ToString().ToLowerInvariant()} mask) -> {settings.Model}; "
            + $"{report.Natural.Count} examples of {settings.Split}, L∞ ε = {options.Epsilon:G4}, {options.Steps} steps, threat region "
            + $"{options.Region.Spelling()}");
        Console.WriteLine($"clean mask IoU against the dataset's masks: {report.CleanMaskIoU}");
        Console.WriteLine($"natural accuracy: {report.Natural}");
        foreach (var a in report.Attacks)
            Console.WriteLine($"  {PredictedMaskStage.AttackName(a.Attack),-52} {a.Robust}   mask IoU {a.MaskIoU.Mean:F3}");
        Console.WriteLine($"robust accuracy (worst case per example): {report.WorstCase}");
        if (settings.Out is not null) AtomicFile.WriteAllText(settings.Out, JsonSerializer.Serialize(report, JsonFormat.Options));
        if (settings.Examples is not null && report.Examples.Count > 0) AtomicFile.WriteAllBytes(settings.Examples,
            PredictedMaskStage.ExampleGrid(report));
        return 0;
    }
}
