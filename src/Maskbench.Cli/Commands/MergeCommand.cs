using System.ComponentModel;
using Maskbench.Experiments;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Maskbench.Cli.Commands;

public sealed class MergeSettings : GlobalSettings
{
    [CommandArgument(0, "<DIR>")]
    [Description("Output folders of `maskbench reproduce` runs of the same plan (for example one per Slurm array task).")]
    public string[] Sources { get; init; } = [];

    [CommandOption("--out <DIR>")]
    [Description("Folder to merge into (may be one of the sources); results.json and the report are written there.")]
    public string Out { get; init; } = "";

    public override ValidationResult Validate() =>
        string.IsNullOrWhiteSpace(Out) ? ValidationResult.Error("--out is required") : base.Validate();
}

/// <summary><c>maskbench merge</c>: combine cell results from several output folders and render the report.</summary>
sealed class MergeCommand : Command<MergeSettings>
{
    public override int Execute(CommandContext context, MergeSettings settings, CancellationToken cancellationToken)
    {
        var merged = ResultsMerge.Merge(settings.Sources, settings.Out);
        string report = ExperimentReport.Write(merged.Plan, settings.Out);
        var results = Maskbench.Reports.ExperimentResults.Load(Path.Combine(settings.Out, "results.json"));
        AnsiConsole.WriteLine(
            $"merged {settings.Sources.Length} folders: {merged.Copied} cell files copied, {merged.AlreadyPresent} already present");
        ReportSummary.Print(results, 0, 0, report);
        return 0;
    }
}
