using System.ComponentModel;
using Maskbench.Data;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Maskbench.Cli.Commands;

sealed class InfoCommand : Command<InfoCommand.Settings>
{
    public sealed class Settings : GlobalSettings
    {
        [CommandArgument(0, "<DATASET>")]
        [Description("A dataset folder (with dataset.json).")]
        public string Dataset { get; init; } = "";

        [CommandOption("--verify")]
        [Description("Also check every array's SHA-256, shape and dtype.")]
        public bool Verify { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var ds = DatasetStore.Open(settings.Dataset, verifyHashes: settings.Verify);
        var m = ds.Manifest;
        var splits = ds.SplitNames;
        if (settings.Verify) foreach (var s in splits) ds.Split(s);

        var about = new Table().Title("[bold]" + Markup.Escape(m.Name) + "[/]").AddColumn("field").AddColumn("value");
        about.AddRow("folder", Markup.Escape(ds.Folder));
        about.AddRow("source", Markup.Escape(m.Source));
        about.AddRow("image size", $"{m.ImageSize}x{m.ImageSize}");
        about.AddRow("classes", m.ClassNames.Count.ToString());
        about.AddRow("horizontal flips keep labels", m.HorizontalFlipPreservesLabels ? "yes" : "no");
        foreach (var s in splits)
            about.AddRow($"{s}", $"{m.Splits[s].Count} images, foreground {m.Splits[s].ForegroundFraction:P1}");
        if (settings.Verify) about.AddRow("verified", "[green]all SHA-256, shapes and dtypes match[/]");
        AnsiConsole.Write(about);

        // Per-class counts: the paper's Table 1 form.
        var counts = new Table().Title("images per class").AddColumn("class");
        foreach (var s in splits) counts.AddColumn(new TableColumn(s).RightAligned());
        foreach (var s in splits) counts.AddColumn(new TableColumn($"{s} fg").RightAligned());
        for (int c = 0; c < m.ClassNames.Count; c++)
        {
            var row = new List<string> { Markup.Escape(m.ClassNames[c]) };
            row.AddRange(splits.Select(s => m.Splits[s].CountsPerClass.ElementAtOrDefault(c).ToString()));
            row.AddRange(splits.Select(s => m.Splits[s].ForegroundFractionPerClass.ElementAtOrDefault(c).ToString("P1")));
            counts.AddRow(row.ToArray());
        }
        var total = new List<string> { "[bold]total[/]" };
        total.AddRange(splits.Select(s => $"[bold]{m.Splits[s].Count}[/]"));
        total.AddRange(splits.Select(s => m.Splits[s].ForegroundFraction.ToString("P1")));
        counts.AddRow(total.ToArray());
        AnsiConsole.Write(counts);

        if (m.BuildParameters.Count > 0)
        {
            var build = new Table().Title("build parameters").AddColumn("key").AddColumn("value");
            foreach (var (k, v) in m.BuildParameters)
            {
                string text = v?.ToJsonString() ?? "null";
                if (text.Length > 160) text = text[..157] + "...";
                build.AddRow(Markup.Escape(k), Markup.Escape(text));
            }
            AnsiConsole.Write(build);
        }
        var arrays = new Table().Title("arrays").AddColumn("file").AddColumn("dtype").AddColumn("shape").AddColumn("sha256");
        foreach (var s in splits)
            foreach (var a in m.Splits[s].Arrays.Values)
                arrays.AddRow(Markup.Escape(a.File), Markup.Escape(a.Dtype), "(" + string.Join(", ", a.Shape) + ")", a.Sha256[..16] + "…");
        AnsiConsole.Write(arrays);
        return 0;
    }
}
