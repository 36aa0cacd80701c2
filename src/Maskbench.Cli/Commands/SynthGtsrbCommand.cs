using System.ComponentModel;
using Maskbench.Cli.Rendering;
using Maskbench.Data.Synthetic;
using Spectre.Console;
using Spectre.Console.Cli;
using Maskbench.Data.Gtsrb;

namespace Maskbench.Cli.Commands;

sealed class SynthGtsrbSettings : GlobalSettings
{
    [CommandOption("--out <DIR>")]
    [Description("Folder to create: the GTSRB layout (Final_Training, Final_Test) plus TrueMasks/ and maskbench-synthetic.json.")]
    public string Out { get; init; } = "";

    [CommandOption("--classes <K>")]
    [Description("Number of sign classes, 1 to 43 (class k imitates GTSRB class k).")]
    [DefaultValue(43)]
    public int Classes { get; init; } = 43;

    [CommandOption("--train-per-class <N>")]
    [Description("Training images per class (in tracks of up to 6 images of one sign).")]
    [DefaultValue(30)]
    public int TrainPerClass { get; init; } = 30;

    [CommandOption("--test-per-class <M>")]
    [Description("Test images per class (0 writes no Final_Test).")]
    [DefaultValue(10)]
    public int TestPerClass { get; init; } = 10;

    [CommandOption("--seed <S>")]
    [Description("Random seed; the same seed gives byte-identical files.")]
    [DefaultValue(0)]
    public int Seed { get; init; }

    [CommandOption("--workers <W>")]
    [Description("Parallel workers (default: one per core); does not change the output.")]
    [DefaultValue(0)]
    public int Workers { get; init; }

    public override ValidationResult Validate() =>
        string.IsNullOrWhiteSpace(Out) ? ValidationResult.Error("--out is required")
        : base.Validate() is { Successful: false } common ? common
        : OptionRange.First(
            OptionRange.Integer(Classes, "--classes", 1, 43),
            OptionRange.Integer(TrainPerClass, "--train-per-class", 0, 100_000),
            OptionRange.Integer(TestPerClass, "--test-per-class", 0, 100_000),
            OptionRange.Integer(Workers, "--workers", 0, 1024));

    /// <summary>What <see cref="SyntheticGtsrb.Write"/> receives besides --out.</summary>
    public SyntheticGtsrbOptions Options() => new(Classes, TrainPerClass, TestPerClass, Seed, Workers: Workers);
}

/// <summary>`maskbench synth gtsrb`: writes a synthetic GTSRB-format data set with true masks.</summary>
sealed class SynthGtsrbCommand : Command<SynthGtsrbSettings>
{
    public override int Execute(CommandContext context, SynthGtsrbSettings settings, CancellationToken cancellationToken)
    {
        var options = settings.Options();
        ConsoleProgress.Run(settings, sink => SyntheticGtsrb.Write(settings.Out, options, sink));
        AnsiConsole.MarkupLine($"wrote {settings.Classes * (settings.TrainPerClass + settings.TestPerClass)} images to "
            + $"[bold]{Markup.Escape(settings.Out)}[/] (true masks in {GtsrbGroundTruth.TrueMasksFolder}/)");
        return 0;
    }
}
