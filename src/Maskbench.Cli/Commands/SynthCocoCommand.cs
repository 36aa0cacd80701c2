using System.ComponentModel;
using Maskbench.Data.Coco;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Maskbench.Cli.Commands;

sealed class SynthCocoSettings : GlobalSettings
{
    [CommandOption("--out <DIR>")]
    [Description("Folder to write images/*.jpg and annotations/instances_synthetic.json into.")]
    public string Out { get; init; } = "";

    [CommandOption("--images <N>")]
    [Description("Number of images.")]
    [DefaultValue(20)]
    public int Images { get; init; } = 20;

    [CommandOption("--seed <S>")]
    [Description("Random seed; the same seed writes the same bytes.")]
    [DefaultValue(0)]
    public int Seed { get; init; }

    public override ValidationResult Validate() =>
        Out.Length == 0 ? ValidationResult.Error("--out is required")
        : base.Validate() is { Successful: false } common ? common
        : OptionRange.First(OptionRange.Integer(Images, "--images", 1, 100_000));
}

/// <summary>`maskbench synth coco`: a small COCO-format dataset (<see cref="SyntheticCoco"/>).</summary>
sealed class SynthCocoCommand : Command<SynthCocoSettings>
{
    public override int Execute(CommandContext context, SynthCocoSettings settings, CancellationToken cancellationToken)
    {
        SyntheticCoco.Write(settings.Out, settings.Images, settings.Seed);
        AnsiConsole.MarkupLine($"wrote {settings.Images} images and {Markup.Escape(Path.Combine(settings.Out, SyntheticCoco.AnnotationFile))}");
        return 0;
    }
}
