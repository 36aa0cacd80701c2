using System.ComponentModel;
using Maskbench.Cli.Rendering;
using Maskbench.Data.Coco;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Maskbench.Cli.Commands;

sealed class CocoMasksSettings : GlobalSettings
{
    [CommandOption("--annotations <FILE>")]
    [Description("COCO instances JSON (2014 or 2017 layout).")]
    public string Annotations { get; init; } = "";

    [CommandOption("--out <FILE>")]
    [Description("Output JSON lines: id, image_id, area, bbox, size and compressed RLE counts of each decoded mask.")]
    public string Out { get; init; } = "";

    public override ValidationResult Validate() =>
        Annotations.Length == 0 ? ValidationResult.Error("--annotations is required")
        : Out.Length == 0 ? ValidationResult.Error("--out is required")
        : base.Validate();
}

/// <summary>`maskbench coco masks`: decodes every annotation as the COCO API does and writes the RLE strings.</summary>
sealed class CocoMasksCommand : Command<CocoMasksSettings>
{
    public override int Execute(CommandContext context, CocoMasksSettings settings, CancellationToken cancellationToken)
    {
        Maskbench.Files.OutputLocation.EnsureWritableFile(settings.Out);
        int n = ConsoleProgress.Run(settings, sink =>
        {
            var coco = CocoAnnotationReader.Read(settings.Annotations, sink);
            return CocoMaskExport.Write(coco, settings.Out, sink);
        });
        AnsiConsole.MarkupLine($"wrote {n} masks to {Markup.Escape(settings.Out)}");
        return 0;
    }
}
