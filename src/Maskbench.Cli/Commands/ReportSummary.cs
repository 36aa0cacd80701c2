using Maskbench.Reports;
using Spectre.Console;

namespace Maskbench.Cli.Commands;

/// <summary>The end of a grid on the console: Table 4 in short, what is missing, and where the report is.</summary>
static class ReportSummary
{
    public static void Print(ExperimentResults results, int executed, int reused, string reportPath)
    {
        var table = new Table().AddColumns("model", "natural % [[95% CI]]", "PGD % [[95% CI]]", "paper natural", "paper PGD", "worst case %",
            "vs paper");
        foreach (var row in results.Table4)
        {
            var model = results.Models.FirstOrDefault(m => m.Training == row.Training && m.Input == row.Input && !m.Replica);
            table.AddRow(Markup.Escape(row.Row), Markup.Escape(F(row.Natural, row.NaturalInterval)), Markup.Escape(F(row.Pgd, row.PgdInterval)),
                F(row.PaperNatural), F(row.PaperPgd), F(model?.Strong), Markup.Escape($"{row.NaturalVerdict ?? "n/a"} / {row.PgdVerdict ?? "n/a"}"));
        }
        AnsiConsole.Write(table);
        foreach (string warning in results.Warnings) AnsiConsole.MarkupLine($"[yellow]warning: {Markup.Escape(warning)}[/]");
        AnsiConsole.MarkupLine($"[grey]{Markup.Escape(results.ScaleNote)}[/]");
        AnsiConsole.WriteLine($"cells: {executed} computed, {reused} reused, {results.MissingCells.Count} missing");
        AnsiConsole.WriteLine($"report: {Path.GetFullPath(reportPath)}");
    }

    static string F(double? v, Interval? ci) => v is null || ci is null ? F(v) : $"{F(v)} [{F(ci.Low)}, {F(ci.High)}]";
    static string F(double? v) => v is double x ? x.ToString("F2", System.Globalization.CultureInfo.InvariantCulture) : "n/a";
}
