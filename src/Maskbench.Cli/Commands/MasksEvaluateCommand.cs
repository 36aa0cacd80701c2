using System.ComponentModel;
using System.Globalization;
using Maskbench.Bench;
using Maskbench.Cli.Rendering;
using Maskbench.Data.Gtsrb;
using Maskbench.Masks;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Maskbench.Cli.Commands;

sealed class MasksEvaluateSettings : GlobalSettings
{
    [CommandOption("--dataset <DATASET>")]
    [Description("A dataset built by `build gtsrb`: its masks are compared with --truth (brought to the dataset's crop and size).")]
    public string? Dataset { get; init; }

    [CommandOption("--src <GTSRB_ROOT>")]
    [Description("A GTSRB root (real or synthetic): every image is segmented at its original resolution with its ROI; reports empty masks, share "
        + "inside the ROI, share of the ROI covered, and IoU when --truth is given.")]
    public string? Src { get; init; }

    [CommandOption("--truth <DIR>")]
    [Description("True masks: a synthetic root from `synth gtsrb` (its TrueMasks/), a TrueMasks folder, or PNG masks laid out like the images.")]
    public string? Truth { get; init; }

    [CommandOption("--peer <NAME>")]
    [Description("With --src: also run grabcut (OpenCV's grabCut with the ROI rectangle, needs python3-opencv) on the same images.")]
    public string? Peer { get; init; }

    [CommandOption("--peer-iterations <N>")]
    [Description("grabCut iterations of the peer.")]
    [DefaultValue(5)]
    public int PeerIterations { get; init; } = 5;

    [CommandOption("--seed <S>")]
    [Description("Base seed of the segmenter (with --src).")]
    [DefaultValue(0)]
    public int Seed { get; init; }

    [CommandOption("--workers <W>")]
    [Description("Parallel workers for segmenting (default: one per core).")]
    [DefaultValue(0)]
    public int Workers { get; init; }

    [CommandOption("--limit-per-class <N>")]
    [Description("With --src: at most N images per class and split.")]
    public int? LimitPerClass { get; init; }

    public override ValidationResult Validate()
    {
        if ((Dataset is null) == (Src is null)) return ValidationResult.Error("give either --dataset (with --truth) or --src");
        if (Dataset is not null && Truth is null) return ValidationResult.Error("--dataset needs --truth");
        if (Peer is not (null or "grabcut")) return ValidationResult.Error($"--peer must be grabcut, got {Peer}");
        if (Peer is not null && Src is null) return ValidationResult.Error("--peer needs --src");
        var common = base.Validate();
        if (!common.Successful) return common;
        return OptionRange.First(
            OptionRange.Integer(PeerIterations, "--peer-iterations", 1, 1000),
            OptionRange.Integer(Workers, "--workers", 0, 1024),
            OptionRange.Integer(LimitPerClass, "--limit-per-class", 1));
    }
}

/// <summary>`maskbench masks evaluate`: the quality report of issue 3 (IoU against true masks, ROI figures, grabCut side by side).</summary>
sealed class MasksEvaluateCommand : Command<MasksEvaluateSettings>
{
    static string F(double v, string format = "F3") => double.IsNaN(v) ? "-" : v.ToString(format, CultureInfo.InvariantCulture);

    public override int Execute(CommandContext context, MasksEvaluateSettings settings, CancellationToken cancellationToken)
    {
        if (settings.Dataset is not null)
        {
            var perSplit = ConsoleProgress.Run(settings, sink => GtsrbMaskEvaluation.CompareDataset(settings.Dataset, settings.Truth!, sink));
            foreach (var (split, summary) in perSplit) RenderIoU($"{split}: dataset masks vs true masks", summary);
            return 0;
        }

        var items = GtsrbMaskEvaluation.Items(settings.Src!, settings.Truth, settings.LimitPerClass);
        var report = ConsoleProgress.Run(settings, sink => GtsrbMaskEvaluation.Segment(items, SegmenterOptions.Default, settings.Seed,
            settings.Workers, sink));
        GrabCutPeerResult? peer = null;
        string? note = null;
        if (settings.Peer == "grabcut") peer = GrabCutPeer.Run(items, settings.PeerIterations, out note);

        var table = new Table().AddColumn("segmenter").AddColumn("images").AddColumn("empty masks").AddColumn("mask inside ROI")
            .AddColumn("ROI covered").AddColumn("mean IoU").AddColumn("masks/s");
        table.AddRow("graph cut (ours)", report.Count.ToString(CultureInfo.InvariantCulture), F(report.Roi.EmptyShare, "P1"),
            F(report.Roi.MeanInsideShare, "P1"),
            F(report.Roi.MeanCoveredShare, "P1"), report.IoU is null ? "-" : F(report.IoU.Mean),
            $"{F(report.MasksPerSecond, "F0")} on {report.Workers} threads");
        if (peer is not null)
        {
            var ious = peer.IoU.Where(v => v.HasValue).Select(v => v!.Value).ToList();
            table.AddRow($"grabCut x{settings.PeerIterations} (OpenCV {Markup.Escape(peer.Version)})",
                peer.Count.ToString(CultureInfo.InvariantCulture),
                F(peer.EmptyShare, "P1"), F(peer.InsideShare, "P1"), F(peer.CoveredShare, "P1"), ious.Count == 0 ? "-" : F(ious.Average()),
                $"{F(peer.MasksPerSecond, "F0")} on 1 thread");
        }
        AnsiConsole.Write(table);
        if (note is not null) AnsiConsole.MarkupLine($"[yellow]grabCut peer unavailable:[/] {Markup.Escape(note)}");
        if (report.IoU is not null) RenderIoU("IoU per class at the original resolution", report.IoU);
        AnsiConsole.MarkupLine($"max-flow time per image: {F(report.MaxFlowSeconds / report.Count * 1000)} ms (summed over threads)");
        return 0;
    }

    static void RenderIoU(string title, IoUSummary summary)
    {
        var table = new Table().Title(Markup.Escape(title)).AddColumn("class").AddColumn("masks").AddColumn("mean IoU");
        foreach (var (cls, (mean, count)) in summary.PerClass)
            table.AddRow(cls.ToString(CultureInfo.InvariantCulture), count.ToString(CultureInfo.InvariantCulture), F(mean));
        table.AddRow("[bold]all[/]", summary.Count.ToString(CultureInfo.InvariantCulture), $"[bold]{F(summary.Mean)}[/]");
        AnsiConsole.Write(table);
    }
}
