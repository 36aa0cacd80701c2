using System.ComponentModel;
using Maskbench.Reports;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Maskbench.Cli.Commands;

public sealed class ReportSettings : GlobalSettings
{
    [CommandOption("--results <FILE>")]
    [Description("results.json written by `maskbench reproduce` or `maskbench merge`.")]
    public string Results { get; init; } = "";

    [CommandOption("--out <DIR>")]
    [Description("Folder for report.md, report.html and figures/ (default: the folder of results.json).")]
    public string? Out { get; init; }

    public override ValidationResult Validate() =>
        string.IsNullOrWhiteSpace(Results) ? ValidationResult.Error("--results is required") : base.Validate();
}

/// <summary><c>maskbench report</c>: re-render report.md and report.html from a results.json.</summary>
sealed class ReportCommand : Command<ReportSettings>
{
    public override int Execute(CommandContext context, ReportSettings settings, CancellationToken cancellationToken)
    {
        string outFolder = settings.Out ?? Path.GetDirectoryName(Path.GetFullPath(settings.Results))!;
        string html = ReportWriter.Render(settings.Results, outFolder);
        AnsiConsole.WriteLine($"report: {Path.GetFullPath(html)}");
        return 0;
    }
}
