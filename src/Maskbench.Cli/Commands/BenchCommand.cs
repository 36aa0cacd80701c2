using System.ComponentModel;
using Maskbench.Bench;
using Maskbench.Cli.Rendering;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Maskbench.Cli.Commands;

sealed class BenchCommand : Command<BenchCommand.Settings>
{
    public sealed class Settings : GlobalSettings
    {
        [CommandArgument(0, "[NAME]")]
        [Description("Benchmarks to run (default: all). Use --list to see them.")]
        public string[] Names { get; init; } = [];

        [CommandOption("--out <FILE>")]
        [Description("Write every figure, with machine facts and versions, as JSON.")]
        public string? Out { get; init; }

        [CommandOption("--quick")]
        [Description("Fewer repetitions and smaller inputs (a smoke run; noisier figures).")]
        public bool Quick { get; init; }

        [CommandOption("--list")]
        [Description("List the benchmark entries and exit.")]
        public bool List { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.List)
        {
            var list = new Table().AddColumn("name").AddColumn("what it measures");
            foreach (var b in BenchmarkCatalog.All) list.AddRow(b.Name, Markup.Escape(b.Description));
            AnsiConsole.Write(list);
            return 0;
        }
        var entries = settings.Names.Length == 0 ? BenchmarkCatalog.All : settings.Names.Select(BenchmarkCatalog.Find).ToList();
        var table = new Table().AddColumn("benchmark").AddColumn("figure").AddColumn(new TableColumn("value").RightAligned()).AddColumn("unit")
            .AddColumn("note");
        var report = ConsoleProgress.Run(settings, sink => BenchmarkRunner.Run(entries, sink, settings.Quick, (entry, result) =>
        {
            foreach (var f in result.Figures)
                table.AddRow(entry.Name, Markup.Escape(f.Name), f.Value.ToString(f.Value >= 100 ? "0" : "0.00"), f.Unit, Markup.Escape(f.Note ?? ""));
            foreach (var n in result.Notes) table.AddRow(entry.Name, "[grey]note[/]", "", "", Markup.Escape(n));
        }));
        AnsiConsole.Write(table);
        if (settings.Out is not null)
        {
            BenchmarkRunner.WriteJson(report, settings.Out);
            AnsiConsole.MarkupLine($"wrote [green]{Markup.Escape(settings.Out)}[/]");
        }
        return 0;
    }
}
