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

    [CommandOption("--region <REGION>")]
    [Description("Base threat region: predicted (the clean image's predicted foreground), true (the dataset's mask) or full.")]
    [DefaultValue("predicted")]
    public string Region { get; init; } = "predicted";

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
}

/// <summary>`maskbench attack-pipeline`: parses, loads, then <see cref="PipelineEvaluator.Evaluate"/> does the work.</summary>
sealed class AttackPipelineCommand : Command<AttackPipelineSettings>
{
    public override int Execute(CommandContext context, AttackPipelineSettings settings, CancellationToken cancellationToken)
    {
        var device = TorchRuntime.SelectDevice(settings.Device);
        var options = new PipelineAttackOptions
        {
            Epsilon = Fraction.TryParse(settings.Eps, out double eps) ? eps : throw new MaskbenchException($"--eps {settings.Eps}: expected a number such as 0.031 or a fraction such as 8/255"),
            Steps = settings.Steps, GrowthSteps = settings.Steps, Seed = settings.Seed, Limit = settings.Limit, BatchSize = settings.Batch, Device = device,
            Region = settings.Region.ToLowerInvariant() switch
            {
                "predicted" => PipelineThreatRegion.PredictedForeground,
                "true" => PipelineThreatRegion.TrueForeground,
                "full" => PipelineThreatRegion.FullImage,
                _ => throw new MaskbenchException($"--region {settings.Region}: expected predicted, true or full"),
            },
            Attacks = settings.Attacks?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(ParseAttack).ToArray(),
        };
        var mode = OptionChoice.Parse<MaskMode>(settings.MaskMode, "--mask-mode");
        using var masker = new MaskerRun(settings.Masker).Load(device);
        var (classifier, _) = AttackedModel.LoadClassifier(settings.Model, device);
        using var _classifier = classifier;
        if (classifier.Spec.Channels != masker.Spec.Channels)
            throw new MaskbenchException($"{settings.Model}: the classifier takes {classifier.Spec.Channels}-channel images, the masker {masker.Spec.Channels}-channel ones; the pipeline feeds both the same image");
        using var dataset = DatasetStore.Open(settings.Data);
        if (!dataset.HasSplit(settings.Split))
            throw new MaskbenchException($"{settings.Data} has no split '{settings.Split}'; it has {string.Join(", ", dataset.SplitNames)}");
        var data = dataset.Split(settings.Split).Load();
        if (data.ImageSize != masker.Spec.InputSize)
            throw new MaskbenchException($"{settings.Masker}: the masker takes {masker.Spec.InputSize}x{masker.Spec.InputSize} images, {settings.Data} has {data.ImageSize}x{data.ImageSize}");
        var report = ConsoleProgress.Run(settings, sink => PipelineEvaluator.Evaluate(masker, new ModuleTarget(classifier), mode, data, options, sink));
        Console.WriteLine($"pipeline: {settings.Masker} ({mode.ToString().ToLowerInvariant()} mask) -> {settings.Model}; "
            + $"{report.Natural.Count} examples of {settings.Split}, L∞ ε = {options.Epsilon:G4}, {options.Steps} steps, region {options.Region}");
        Console.WriteLine($"clean mask IoU against the dataset's masks: {report.CleanMaskIoU}");
        Console.WriteLine($"natural accuracy: {report.Natural}");
        foreach (var a in report.Attacks)
            Console.WriteLine($"  {PredictedMaskStage.AttackName(a.Attack),-52} {a.Robust}   mask IoU {a.MaskIoU.Mean:F3}");
        Console.WriteLine($"robust accuracy (worst case per example): {report.WorstCase}");
        if (settings.Out is not null) AtomicFile.WriteAllText(settings.Out, JsonSerializer.Serialize(report, JsonFormat.Options));
        if (settings.Examples is not null && report.Examples.Count > 0) AtomicFile.WriteAllBytes(settings.Examples, PredictedMaskStage.ExampleGrid(report));
        return 0;
    }

    static PipelineAttack ParseAttack(string name) => name.ToLowerInvariant() switch
    {
        "non-adaptive" => PipelineAttack.NonAdaptive,
        "end-to-end" => PipelineAttack.EndToEnd,
        "straight-through" or "bpda" => PipelineAttack.StraightThrough,
        "mask-growth" => PipelineAttack.MaskGrowth,
        "full-image" => PipelineAttack.FullImage,
        _ => throw new MaskbenchException($"--attacks: unknown attack '{name}' (expected non-adaptive, end-to-end, straight-through, mask-growth, full-image)"),
    };
}
