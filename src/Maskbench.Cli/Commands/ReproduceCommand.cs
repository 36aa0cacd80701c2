using System.ComponentModel;
using Maskbench.Cli.Rendering;
using Maskbench.Experiments;
using Maskbench.Runtime;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Maskbench.Cli.Commands;

/// <summary>Options of <c>reproduce</c>; <c>reproduce mnist</c> inherits them (a Spectre branch shares its settings).</summary>
public class ReproduceSettings : DeviceSettings
{
    [CommandOption("--data <DIR>")]
    [Description("Dataset folder (dataset.json with train and test splits), for example from `maskbench build gtsrb`.")]
    public string Data { get; init; } = "";

    [CommandOption("--out <DIR>")]
    [Description("Output folder: cells/ (cached results), runs/ (checkpoints), results.json, report.md, report.html.")]
    public string Out { get; init; } = "";

    [CommandOption("--profile <NAME>")]
    [Description("paper (the paper's settings, full scale, needs a GPU) or cpu (scaled down to finish on 2 cores).")]
    [DefaultValue("cpu")]
    public string Profile { get; init; } = "cpu";

    [CommandOption("--arch <ARCH>")]
    [Description("Architecture (default: the profile's, vgg19): vgg11, vgg13, vgg16, vgg19, preactresnet18, smallcnn.")]
    public string? Arch { get; init; }

    [CommandOption("--epochs <N>")]
    [Description("Override the profile's training epochs (part of every cell's key).")]
    public int? Epochs { get; init; }

    [CommandOption("--width <X>")]
    [Description("Override the profile's channel width multiplier (1 = the architecture's published width).")]
    public double? Width { get; init; }

    [CommandOption("--force")]
    [Description("Run in an --out folder that holds another grid's plan.json, replacing its plan, results.json and report (cached cells are kept).")]
    public bool Force { get; init; }

    [CommandOption("--cells <SELECTION>")]
    [Description("Run only these cells: indices and ranges (0,3-5; e.g. $SLURM_ARRAY_TASK_ID) or id patterns (train/*, eval/*masked*/pgd); --cells list prints the cells with their indices.")]
    public string? Cells { get; init; }

    public override Spectre.Console.ValidationResult Validate()
    {
        var common = base.Validate();
        if (!common.Successful) return common;
        return OptionRange.First(OptionRange.Integer(Epochs, "--epochs", 1, 100_000), OptionRange.Real(Width, "--width", 0, 16, minExclusive: true));
    }

    /// <summary><c>--cells list</c> prints the plan instead of running it (a bool flag is not bound on a branch's default command).</summary>
    public bool List => string.Equals(Cells, "list", StringComparison.OrdinalIgnoreCase);
}

/// <summary><c>maskbench reproduce</c>: the paper's grid on one dataset, cached per cell, then the report.</summary>
sealed class ReproduceCommand : Command<ReproduceSettings>
{
    public override int Execute(CommandContext context, ReproduceSettings settings, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(settings.Data)) throw new MaskbenchException("--data is required (a dataset folder with dataset.json)");
        if (string.IsNullOrWhiteSpace(settings.Out) && !settings.List) throw new MaskbenchException("--out is required");
        settings.ApplyRuntime();
        var profile = ExperimentProfile.Named(settings.Profile);
        if (settings.Epochs is int epochs) profile = profile with { Epochs = epochs };
        if (settings.Width is double width) profile = profile with { Width = width };
        if (settings.List)
        {
            var plan = Reproduction.PlanFor(settings.Data, profile, settings.Arch);
            for (int i = 0; i < plan.Cells.Count; i++) AnsiConsole.WriteLine($"{i,4}  {plan.Cells[i].Id}");
            return 0;
        }
        var device = TorchRuntime.SelectDevice(settings.Device);
        var outcome = ConsoleProgress.Run(sink => Reproduction.Run(settings.Data, settings.Out, profile, settings.Arch,
            CellSelection.Parse(settings.Cells), device, sink, settings.Force));
        ReportSummary.Print(outcome.Results, outcome.Executed, outcome.Reused, outcome.ReportPath);
        return 0;
    }
}
