using System.ComponentModel;
using Maskbench.Cli.Rendering;
using Maskbench.Data.Coco;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Maskbench.Cli.Commands;

sealed class BuildCocoSettings : GlobalSettings
{
    [CommandOption("--annotations <FILE>")]
    [Description("COCO instances JSON; repeat the option (or separate with commas) to pool several files into the split.")]
    public string[] Annotations { get; init; } = [];

    [CommandOption("--images <DIR>")]
    [Description("Folder the annotations' file_name values are relative to (for example val2017/).")]
    public string Images { get; init; } = "";

    [CommandOption("--split <NAME>")]
    [Description("train or test. The test split reuses the classes chosen on train.")]
    public string Split { get; init; } = "";

    [CommandOption("--out <DATASET>")]
    [Description("Dataset folder; other splits already in it are kept.")]
    public string Out { get; init; } = "";

    [CommandOption("--size <S>")]
    [Description("Side of the square samples in pixels.")]
    [DefaultValue(32)]
    public int Size { get; init; } = 32;

    [CommandOption("--classes <SPEC>")]
    [Description("topN (most frequent N after exclusions, counted on train; default top10, reused for test) or name,name,...")]
    public string? Classes { get; init; }

    [CommandOption("--exclude <NAME>")]
    [Description("Category never sampled (its pixels are still blacked out in other crops); repeat or use commas; none excludes nothing. Default: "
        + "person, as in the paper (unless --classes names it).")]
    public string[] Exclude { get; init; } = [];

    [CommandOption("--min-size <PIXELS>")]
    [Description("Skip objects whose mask box is shorter than this on its longer side.")]
    [DefaultValue(0)]
    public int MinSize { get; init; }

    [CommandOption("--force")]
    [Description("Write into a folder that is not empty and holds no COCO dataset; only the dataset's files are written, other files are kept.")]
    public bool Force { get; init; }

    [CommandOption("--preview <PNG>")]
    [Description("Also save a grid of the first 64 samples (crop and masked crop side by side) to check by eye.")]
    public string? Preview { get; init; }

    public override ValidationResult Validate() =>
        Annotations.Length == 0 ? ValidationResult.Error("--annotations is required")
        : Images.Length == 0 ? ValidationResult.Error("--images is required")
        : Split is not ("train" or "test") ? ValidationResult.Error("--split must be train or test")
        : Out.Length == 0 ? ValidationResult.Error("--out is required")
        : base.Validate() is { Successful: false } common ? common
        : OptionRange.First(OptionRange.Integer(Size, "--size", 4, 1024), OptionRange.Integer(MinSize, "--min-size", 0));

    /// <summary>What <see cref="CocoCropDataset.Build"/> receives besides --out and --force.</summary>
    public CocoCropOptions CropOptions()
    {
        static string[] Split(string[] values) => values.SelectMany(v =>
            v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();
        return new CocoCropOptions
        {
            AnnotationFiles = Split(Annotations),
            ImageFolder = Images,
            Split = this.Split,
            Size = Size,
            Classes = Classes is null ? null : CocoClassSelection.Parse(Classes),
            // Not given: the paper's exclusion (person); "none": nothing.
            Exclude = Exclude.Length == 0 ? null
                : Split(Exclude) is ["none"] ? [] : Split(Exclude),
            MinSize = MinSize,
        };
    }
}

/// <summary>`maskbench build coco`: MS-COCO-IC crops (<see cref="CocoCropDataset"/>).</summary>
sealed class BuildCocoCommand : Command<BuildCocoSettings>
{
    public override int Execute(CommandContext context, BuildCocoSettings settings, CancellationToken cancellationToken)
    {
        var options = settings.CropOptions();
        if (settings.Preview is not null) Maskbench.Files.OutputLocation.EnsureWritableFile(settings.Preview, "--preview");
        var manifest = ConsoleProgress.Run(settings, sink => CocoCropDataset.Build(settings.Out, options, sink, settings.Force));
        var table = new Table().Title($"[bold]{Markup.Escape(manifest.Name)}[/] (Table 1)").AddColumn("class")
            .AddColumn(new TableColumn("train").RightAligned()).AddColumn(new TableColumn("test").RightAligned());
        foreach (var row in CocoTable1.Rows(manifest)) table.AddRow(Markup.Escape(row.ClassName), row.Train.ToString(), row.Test.ToString());
        AnsiConsole.Write(table);
        if (settings.Preview is not null)
        {
            using var ds = Maskbench.Data.DatasetStore.Open(settings.Out);
            CocoCropPreview.Save(ds.Split(settings.Split).Load(), settings.Preview);
            AnsiConsole.MarkupLine($"preview: {Markup.Escape(settings.Preview)}");
        }
        return 0;
    }
}
