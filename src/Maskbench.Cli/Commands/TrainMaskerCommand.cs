using System.ComponentModel;
using Maskbench.Attacks;
using Maskbench.Cli.Rendering;
using Maskbench.Masks.Learned;
using Maskbench.Runtime;
using Spectre.Console.Cli;

namespace Maskbench.Cli.Commands;

sealed class TrainMaskerSettings : DeviceSettings
{
    [CommandOption("--data <DATASET>")]
    [Description("Dataset folder; the masker learns its train split's masks and is scored on test (or val).")]
    public string Data { get; init; } = "";

    [CommandOption("--out <DIR>")]
    [Description("Masker folder to create: masker.json, model.safetensors, model.json.")]
    public string Out { get; init; } = "";

    [CommandOption("--mode <MODE>")]
    [Description("natural, or pgd (adversarial training on PGD examples of the segmentation loss, whole image).")]
    [DefaultValue("natural")]
    public string Mode { get; init; } = "natural";

    [CommandOption("--epochs <N>")]
    [DefaultValue(10)]
    public int Epochs { get; init; } = 10;

    [CommandOption("--batch <N>")]
    [DefaultValue(64)]
    public int Batch { get; init; } = 64;

    [CommandOption("--lr <LR>")]
    [Description("Adam step size; the last quarter of the epochs uses a tenth of it.")]
    [DefaultValue(0.002)]
    public double Lr { get; init; } = 0.002;

    [CommandOption("--width <C>")]
    [Description("Channels of the U-Net's first level (doubling per level).")]
    [DefaultValue(16)]
    public int Width { get; init; } = 16;

    [CommandOption("--depth <D>")]
    [Description("Poolings of the U-Net (the image side must be divisible by 2^D).")]
    [DefaultValue(3)]
    public int Depth { get; init; } = 3;

    [CommandOption("--eps <EPS>")]
    [Description("L∞ budget of PGD training and of the IoU-under-attack figure (0 skips that figure).")]
    [DefaultValue("8/255")]
    public string Eps { get; init; } = "8/255";

    [CommandOption("--steps <K>")]
    [Description("PGD steps of training and of the IoU-under-attack figure.")]
    [DefaultValue(5)]
    public int Steps { get; init; } = 5;

    [CommandOption("--limit-train <N>")]
    [Description("Train on at most N images.")]
    public int? LimitTrain { get; init; }

    [CommandOption("--no-augment")]
    [Description("No random crops or flips.")]
    public bool NoAugment { get; init; }

    [CommandOption("--seed <S>")]
    [DefaultValue(0)]
    public int Seed { get; init; }

    public override Spectre.Console.ValidationResult Validate()
    {
        if (string.IsNullOrWhiteSpace(Data)) return Spectre.Console.ValidationResult.Error("--data is required");
        if (string.IsNullOrWhiteSpace(Out)) return Spectre.Console.ValidationResult.Error("--out is required");
        return base.Validate();
    }

    /// <summary>What <see cref="MaskerTraining.Run"/> receives as its options (--width and --depth shape the U-Net).</summary>
    public MaskerTrainingOptions Options()
    {
        double eps = Fraction.TryParse(Eps, out double e) && e >= 0 ? e
            : throw new MaskbenchException($"--eps {Eps}: expected a number ≥ 0 such as 0.031 or a fraction such as 8/255");
        var mode = Enum.TryParse<MaskerTrainingMode>(Mode, ignoreCase: true, out var m) && Enum.IsDefined(m) ? m
            : throw new MaskbenchException($"--mode {Mode}: expected natural or pgd");
        return new MaskerTrainingOptions
        {
            Mode = mode, Epochs = Epochs, BatchSize = Batch, LearningRate = Lr,
            Epsilon = eps, Steps = Steps, Seed = Seed, LimitTrain = LimitTrain, Augment = !NoAugment,
        };
    }
}

/// <summary>`maskbench train-masker`: parses, then <see cref="MaskerTraining.Run"/> trains, scores and writes the masker.</summary>
sealed class TrainMaskerCommand : Command<TrainMaskerSettings>
{
    public override int Execute(CommandContext context, TrainMaskerSettings settings, CancellationToken cancellationToken)
    {
        var device = TorchRuntime.SelectDevice(settings.Device);
        var options = settings.Options();
        double eps = options.Epsilon;
        var info = ConsoleProgress.Run(settings, sink => MaskerTraining.Run(settings.Data, settings.Out, options, settings.Width, settings.Depth,
            eps > 0 ? eps : null, settings.Steps, device, sink, cancellationToken));
        var test = info.Test!;
        Console.WriteLine($"trained {info.Spec.Description}, {info.Parameters:N0} parameters, into {settings.Out}");
        Console.WriteLine($"{test.Split} IoU (against the dataset's masks): {test.Clean}");
        foreach (var (label, iou) in test.CleanPerClass) Console.WriteLine($"  class {label}: {iou}");
        if (test.UnderAttack is { } attacked) Console.WriteLine($"{test.Split} IoU under L∞ PGD (ε = {test.AttackEpsilon:G4}, {settings.Steps} "
            + $"steps, whole image): {attacked}");
        return 0;
    }
}
