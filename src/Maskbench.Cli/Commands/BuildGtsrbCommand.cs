using System.ComponentModel;
using Maskbench.Cli.Rendering;
using Maskbench.Data.Gtsrb;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Maskbench.Cli.Commands;

sealed class BuildGtsrbSettings : GlobalSettings
{
    [CommandOption("--src <GTSRB_ROOT>")]
    [Description("GTSRB root: the folder holding Final_Training (and Final_Test), or its parent with a GTSRB folder.")]
    public string Src { get; init; } = "";

    [CommandOption("--out <DATASET>")]
    [Description("Dataset folder to write (dataset.json, train/, test/).")]
    public string Out { get; init; } = "";

    [CommandOption("--size <S>")]
    [Description("Side of the square images and masks.")]
    [DefaultValue(32)]
    public int Size { get; init; } = 32;

    [CommandOption("--crop <MODE>")]
    [Description("roi: a square around the CSV's ROI (5% margin); full: the whole image.")]
    [DefaultValue("roi")]
    public string Crop { get; init; } = "roi";

    [CommandOption("--seed <S>")]
    [Description("Base seed of the segmenter and of --test-fraction; the same seed rebuilds identical bytes.")]
    [DefaultValue(0)]
    public int Seed { get; init; }

    [CommandOption("--workers <W>")]
    [Description("Parallel workers (default: one per core); does not change the output.")]
    [DefaultValue(0)]
    public int Workers { get; init; }

    [CommandOption("--on-error <POLICY>")]
    [Description("stop (default): fail on the first bad record; skip: leave bad records out, listed in the manifest; rescale-roi: scale the ROI of "
        + "files whose size disagrees with the CSV.")]
    [DefaultValue("stop")]
    public string OnError { get; init; } = "stop";

    [CommandOption("--test-fraction <F>")]
    [Description("Hold out this share of each class's training images, by whole tracks, as the test split (Final_Test is then not read).")]
    public double? TestFraction { get; init; }

    [CommandOption("--limit-per-class <N>")]
    [Description("Read at most N records per class from each source split (quick builds).")]
    public int? LimitPerClass { get; init; }

    [CommandOption("--force")]
    [Description("Write into a folder that is not empty and holds no GTSRB-IC dataset; only the dataset's files are written, other files are kept.")]
    public bool Force { get; init; }

    [CommandOption("--test-csv <PATH>")]
    [Description("The labelled GT-final_test.csv when it is not beside Final_Test/Images.")]
    public string? TestCsv { get; init; }

    public override ValidationResult Validate()
    {
        if (string.IsNullOrWhiteSpace(Src)) return ValidationResult.Error("--src is required");
        if (string.IsNullOrWhiteSpace(Out)) return ValidationResult.Error("--out is required");
        if (Crop is not ("roi" or "full")) return ValidationResult.Error($"--crop must be roi or full, got {Crop}");
        if (OnError is not ("stop" or "skip" or "rescale-roi")) return ValidationResult.Error(
            $"--on-error must be stop, skip or rescale-roi, got {OnError}");
        var common = base.Validate();
        if (!common.Successful) return common;
        return OptionRange.First(
            OptionRange.Integer(Size, "--size", 4, 1024),
            OptionRange.Integer(Workers, "--workers", 0, 1024),
            OptionRange.Real(TestFraction, "--test-fraction", 0, 1, minExclusive: true, maxExclusive: true),
            OptionRange.Integer(LimitPerClass, "--limit-per-class", 1));
    }

    /// <summary>What <see cref="GtsrbDatasetBuilder.Build"/> receives besides --src, --out and --force.</summary>
    public GtsrbBuildOptions BuildOptions() => new()
    {
        ImageSize = Size,
        Crop = Crop == "full" ? GtsrbCrop.Full : GtsrbCrop.Roi,
        Seed = Seed,
        Workers = Workers,
        OnError = OnError switch { "skip" => ErrorPolicy.Skip, "rescale-roi" => ErrorPolicy.RescaleRoi, _ => ErrorPolicy.Stop },
        TestFraction = TestFraction,
        LimitPerClass = LimitPerClass,
        TestCsv = TestCsv,
    };
}

/// <summary>`maskbench build gtsrb`: segments a GTSRB root and writes the dataset store.</summary>
sealed class BuildGtsrbCommand : Command<BuildGtsrbSettings>
{
    public override int Execute(CommandContext context, BuildGtsrbSettings settings, CancellationToken cancellationToken)
    {
        var options = settings.BuildOptions();
        var result = ConsoleProgress.Run(settings, sink => GtsrbDatasetBuilder.Build(settings.Src, settings.Out, options, sink, settings.Force));
        AnsiConsole.MarkupLine($"wrote [bold]{Markup.Escape(settings.Out)}[/]: {result.TrainCount} train, {result.TestCount} test images"
            + (result.Skipped.Count > 0 ? $", {result.Skipped.Count} records skipped" : "")
            + (result.RoiRescaled > 0 ? $", {result.RoiRescaled} ROIs rescaled" : ""));
        return 0;
    }
}
