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

        [CommandOption("--model <MODEL>")]
        [Description("eval-job: a trained plain classifier (run folder, checkpoint or exported weights) instead of random weights; needs --data")]
        public string? Model { get; init; }

        [CommandOption("--data <DATASET>")]
        [Description("eval-job: the dataset whose test split supplies the images (the first --images rows, true labels); needs --model")]
        public string? Data { get; init; }

        [CommandOption("--images <N>")]
        [Description("eval-job: images to attack (default 256; --quick 16)")]
        public int? Images { get; init; }

        /// <summary>What the entries receive.</summary>
        public BenchmarkOptions Options() => new() { Model = Model, Data = Data, Images = Images };

        public override ValidationResult Validate()
        {
            if (base.Validate() is { Successful: false } common) return common;
            if ((Model is null) != (Data is null)) return ValidationResult.Error(
                "--model and --data go together (eval-job on a trained model and its dataset's test images)");
            if ((Model is not null || Images is not null) && Names.Length > 0 && !Names.Contains("eval-job", StringComparer.OrdinalIgnoreCase))
                return ValidationResult.Error("--model, --data and --images are eval-job's; name eval-job among the benchmarks");
            return OptionRange.First(OptionRange.Integer(Images, "--images", 1, 100_000));
        }
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
        }, settings.Options()));
        AnsiConsole.Write(table);
        if (settings.Out is not null)
        {
            BenchmarkRunner.WriteJson(report, settings.Out);
            AnsiConsole.MarkupLine($"wrote [green]{Markup.Escape(settings.Out)}[/]");
        }
        return 0;
    }
}
