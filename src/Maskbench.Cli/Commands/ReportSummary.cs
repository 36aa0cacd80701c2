using Maskbench.Reports;
using Spectre.Console;

namespace Maskbench.Cli.Commands;

/// <summary>The end of a grid on the console: Table 4 in short, what is missing, and where the report is.</summary>
static class ReportSummary
{
    public static void Print(ExperimentResults results, int executed, int reused, string reportPath)
    {
        var table = new Table().AddColumns("model", "natural %", "PGD %", "paper natural", "paper PGD", "worst case %");
        foreach (var row in results.Table4)
        {
            var model = results.Models.FirstOrDefault(m => m.Training == row.Training && m.Input == row.Input);
            table.AddRow(row.Row, F(row.Natural), F(row.Pgd), F(row.PaperNatural), F(row.PaperPgd), F(model?.Strong));
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"[grey]{Markup.Escape(results.ScaleNote)}[/]");
        AnsiConsole.WriteLine($"cells: {executed} computed, {reused} reused, {results.MissingCells.Count} missing");
        AnsiConsole.WriteLine($"report: {Path.GetFullPath(reportPath)}");
    }

    static string F(double? v) => v is double x ? x.ToString("F2", System.Globalization.CultureInfo.InvariantCulture) : "n/a";
}
