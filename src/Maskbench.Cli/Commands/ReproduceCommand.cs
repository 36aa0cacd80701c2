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

    // No [DefaultValue] on the options of this branch's default command: Spectre applies such defaults after binding
    // and overwrote the value given (--profile paper ran the cpu profile). Defaults are resolved in ResolveProfile.
    [CommandOption("--profile <NAME>")]
    [Description("paper (the paper's settings, full scale, needs a GPU), workstation (the full real GTSRB-IC on 2 CPU cores within an hour) or cpu "
        + "(scaled down; the default). --print-plan shows what a profile resolves to.")]
    public string? Profile { get; init; }

    [CommandOption("--arch <ARCH>")]
    [Description("Override the profile's architecture: vgg11, vgg13, vgg16, vgg19, preactresnet18, smallcnn (every override is part of the cells' "
        + "keys).")]
    public string? Arch { get; init; }

    [CommandOption("--epochs <N>")]
    [Description("Override the profile's training epochs.")]
    public int? Epochs { get; init; }

    [CommandOption("--width <X>")]
    [Description("Override the profile's channel width multiplier (1 = the architecture's published width).")]
    public double? Width { get; init; }

    [CommandOption("--train-limit <N>")]
    [Description("Override how many training images each model uses (0 = all).")]
    public int? TrainLimit { get; init; }

    [CommandOption("--test-limit <N>")]
    [Description("Override how many test images each evaluation uses: a stratified sample (0 = all).")]
    public int? TestLimit { get; init; }

    [CommandOption("--batch <N>")]
    [Description("Override the training batch size.")]
    public int? Batch { get; init; }

    [CommandOption("--lr <LR>")]
    [Description("Override the initial learning rate (SGD with momentum 0.9).")]
    public double? LearningRate { get; init; }

    [CommandOption("--schedule <S>")]
    [Description("Override the learning-rate schedule: multistep (/10 at 50% and 75% of the epochs) or cosine.")]
    public string? Schedule { get; init; }

    [CommandOption("--train-steps <K>")]
    [Description("Override the PGD steps of adversarial training.")]
    public int? TrainSteps { get; init; }

    [CommandOption("--eps-warmup <E>")]
    [Description("Override the epochs over which the adversarial-training ε ramps up (0: full ε from the start).")]
    public int? EpsWarmup { get; init; }

    [CommandOption("--pgd-steps <K>")]
    [Description("Override the steps of the evaluation PGD (the paper: 20).")]
    public int? PgdSteps { get; init; }

    [CommandOption("--restarts <R>")]
    [Description("Override the restarts of the strong suite's PGD.")]
    public int? Restarts { get; init; }

    [CommandOption("--precision <P>")]
    [Description("Override the precision of training (bf16: bfloat16 passes, float32 master weights) and of the attacks' search: fp32 or bf16 (the "
        + "final right/wrong decision is always float32).")]
    public string? Precision { get; init; }

    [CommandOption("--seeds <K>")]
    [Description("Train each Table 4 model with K seeds (each its own cell); the report gives mean ± sd across them.")]
    public int? Seeds { get; init; }

    [CommandOption("--print-plan")]
    [Description("Print the resolved settings and the number of cells, and exit without running anything.")]
    public bool? PrintPlan { get; init; }

    /// <summary>
    /// Option ranges, then the profile: an unknown profile or a bad override is a usage error (exit 2), reported in one
    /// line before anything runs.
    /// </summary>
    public override ValidationResult Validate()
    {
        var common = base.Validate();
        if (!common.Successful) return common;
        var ranges = OptionRange.First(OptionRange.Integer(Epochs, "--epochs", 1, 100_000),
            OptionRange.Real(Width, "--width", 0, 16, minExclusive: true));
        if (!ranges.Successful) return ranges;
        try { ResolveProfile(); }
        catch (MaskbenchException e) { return ValidationResult.Error(e.Message); }
        return ValidationResult.Success();
    }

    /// <summary>The named profile (cpu when none is given) with every override applied and checked.</summary>
    public ExperimentProfile ResolveProfile()
    {
        var p = ExperimentProfile.Named(Profile ?? ExperimentProfile.Cpu.Name);
        if (Arch is not null) p = p with { Arch = Arch.ToLowerInvariant() };
        if (Epochs is int epochs) p = p with { Epochs = epochs };
        if (Width is double width) p = p with { Width = width };
        if (TrainLimit is int trainLimit) p = p with { TrainLimit = trainLimit };
        if (TestLimit is int testLimit) p = p with { TestLimit = testLimit };
        if (Batch is int batch) p = p with { BatchSize = batch };
        if (LearningRate is double lr) p = p with { LearningRate = lr };
        if (Schedule is not null) p = p with { Schedule = OptionChoice.Parse<Training.LearningRateSchedule>(Schedule, "--schedule") };
        if (TrainSteps is int trainSteps) p = p with { TrainSteps = trainSteps };
        if (EpsWarmup is int warmup) p = p with { TrainEpsilonWarmup = warmup };
        if (PgdSteps is int pgdSteps) p = p with { PgdSteps = pgdSteps };
        if (Restarts is int restarts) p = p with { Restarts = restarts };
        if (Precision is not null) p = p with { Precision = OptionChoice.Parse<Attacks.Precision>(Precision, "--precision") };
        if (Seeds is int seeds) p = p with { Seeds = seeds };
        return p.Validated();
    }

    [CommandOption("--masker <DIR>")]
    [Description("A trained masker (train-masker): adds the predicted-mask models, trained naturally and adversarially on its predictions "
        + "and attacked as the deployed pipeline (natural accuracy and PGD through the clean image's mask; the masker's SHA-256 is part of their "
        + "keys).")]
    public string? Masker { get; init; }

    [CommandOption("--force")]
    [Description("Run in an --out folder that holds another grid's plan.json, replacing its plan, results.json and report (cached cells are kept).")]
    public bool? Force { get; init; }   // bool?: a plain bool flag is not bound on a branch's default command

    [CommandOption("--cells <SELECTION>")]
    [Description("Run only these cells: indices and ranges (0,3-5; e.g. $SLURM_ARRAY_TASK_ID) or id patterns (train/*, eval/*masked*/pgd); --cells "
        + "list prints the cells with their indices.")]
    public string? Cells { get; init; }

    /// <summary><c>--cells list</c> prints the plan instead of running it (a bool flag is not bound on a branch's default command).</summary>
    public bool List => string.Equals(Cells, "list", StringComparison.OrdinalIgnoreCase);
}

/// <summary><c>maskbench reproduce</c>: the paper's grid on one dataset, cached per cell, then the report.</summary>
sealed class ReproduceCommand : Command<ReproduceSettings>
{
    public override int Execute(CommandContext context, ReproduceSettings settings, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(settings.Data)) throw new MaskbenchException("--data is required (a dataset folder with dataset.json)");
        if (string.IsNullOrWhiteSpace(settings.Out) && !settings.List
            && settings.PrintPlan != true) throw new MaskbenchException("--out is required");
        var profile = settings.ResolveProfile();
        if (settings.PrintPlan == true)
        {
            var plan = Reproduction.PlanFor(settings.Data, profile, masker: settings.Masker);
            // Plain lines (no wrapping, no markup), one setting each, for people and scripts alike.
            foreach (var (name, value) in plan.Profile.Describe()) Console.Out.WriteLine($"{name,-22} {value}");
            Console.Out.WriteLine($"{"dataset",-22} {plan.DatasetName} ({plan.DatasetPath}, manifest {plan.DatasetSha256[..12]})");
            int training = plan.Cells.Count(c => c.Kind == CellSpec.Train);
            Console.Out.WriteLine($"{"cells",-22} {plan.Cells.Count} ({training} training, {plan.Cells.Count - training} evaluation); --cells list "
                + "names them");
            return 0;
        }
        if (settings.List)
        {
            var plan = Reproduction.PlanFor(settings.Data, profile, masker: settings.Masker);
            for (int i = 0; i < plan.Cells.Count; i++) AnsiConsole.WriteLine($"{i,4}  {plan.Cells[i].Id}");
            return 0;
        }
        var device = TorchRuntime.SelectDevice(settings.Device);
        var outcome = ConsoleProgress.Run(settings, sink => Reproduction.Run(settings.Data, settings.Out, profile, null,
            CellSelection.Parse(settings.Cells), device, sink, settings.Force == true, settings.Masker));
        ReportSummary.Print(outcome.Results, outcome.Executed, outcome.Reused, outcome.ReportPath);
        return 0;
    }
}
