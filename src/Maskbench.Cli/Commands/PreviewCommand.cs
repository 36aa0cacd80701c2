using System.ComponentModel;
using Maskbench.Data;
using Maskbench.Data.Images;
using Maskbench.Reports;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Maskbench.Cli.Commands;

sealed class PreviewCommand : Command<PreviewCommand.Settings>
{
    public sealed class Settings : GlobalSettings
    {
        [CommandArgument(0, "<DATASET>")]
        [Description("A dataset folder (with dataset.json).")]
        public string Dataset { get; init; } = "";

        [CommandOption("--out <PNG>")]
        [Description("Where to write the grid (PNG).")]
        [DefaultValue("preview.png")]
        public string Out { get; init; } = "preview.png";

        [CommandOption("--split <NAME>")]
        [Description("Which split to draw from (default: train, else the first).")]
        public string? Split { get; init; }

        [CommandOption("-n|--count <N>")]
        [Description("Number of examples (spread over classes).")]
        [DefaultValue(24)]
        public int Count { get; init; } = 24;

        [CommandOption("--per-row <N>")]
        [Description("Examples per row; each shows image, mask and masked image.")]
        [DefaultValue(4)]
        public int PerRow { get; init; } = 4;

        [CommandOption("--seed <S>")]
        [Description("Seed of the choice of examples.")]
        [DefaultValue(0)]
        public int Seed { get; init; }

        public override ValidationResult Validate() =>
            base.Validate() is { Successful: false } common ? common
            : OptionRange.First(OptionRange.Integer(Count, "-n/--count", 1, 10_000), OptionRange.Integer(PerRow, "--per-row", 1, 1000));
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        Maskbench.Files.OutputLocation.EnsureWritableFile(settings.Out);
        using var ds = DatasetStore.Open(settings.Dataset);
        string split = settings.Split ?? (ds.HasSplit("train") ? "train" : ds.SplitNames[0]);
        var sheet = DatasetPreview.Render(ds.Split(split), settings.Count, settings.PerRow, settings.Seed);
        ImageFile.Save(sheet, settings.Out);
        AnsiConsole.MarkupLine($"wrote [green]{Markup.Escape(settings.Out)}[/] ({sheet.Width}x{sheet.Height}; each example: image, mask, masked "
            + "image)");
        return 0;
    }
}
