using System.ComponentModel;
using Maskbench.Attacks;
using Maskbench.Cli.Rendering;
using Maskbench.Data;
using Maskbench.Evaluation;
using Maskbench.Runtime;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Maskbench.Cli.Commands;

/// <summary>`maskbench attack`: robust accuracy of a model on a dataset split (RobustnessEvaluator does the work).</summary>
sealed class AttackCommand : Command<AttackCommand.Settings>
{
    public sealed class Settings : DeviceSettings
    {
        [CommandOption("--model <RUN>")]
        [Description("The model: a training run folder (or a .ckpt file in one), a folder of exported weights (model.json, model.safetensors), or a "
            + "TorchScript .pt file taking N x 3 x S x S inputs in [[0,1]].")]
        public string Model { get; init; } = "";

        [CommandOption("--data <DATASET>")]
        [Description("Dataset folder (with dataset.json).")]
        public string Data { get; init; } = "";

        [CommandOption("--split <NAME>")]
        [Description("Split to attack.")]
        [DefaultValue("test")]
        public string Split { get; init; } = "test";

        [CommandOption("-n|--count <N>")]
        [Description("Attack only the first N images of the split (Spectre.Console needs long options of two letters or more, hence -n or --count).")]
        public int? Count { get; init; }

        [CommandOption("--attack <NAME>")]
        [Description(AttackRegistry.NameList + " (the suite: APGD-CE, APGD-T, Square in turn).")]
        [DefaultValue("pgd")]
        public string Attack { get; init; } = "pgd";

        [CommandOption("--eps <EPS>")]
        [Description("Perturbation budget ε, as a number or fraction (8/255).")]
        [DefaultValue("8/255")]
        public string Epsilon { get; init; } = "8/255";

        [CommandOption("--eps-sweep <LIST>")]
        [Description("Several ε, comma separated (0,2/255,4/255,8/255); replaces --eps. Robust accuracy is monotone in ε by construction.")]
        public string? Sweep { get; init; }

        [CommandOption("--steps <N>")]
        [Description("Iterations (queries for square). " + AttackRegistry.DefaultsText)]
        public int? Steps { get; init; }

        [CommandOption("--step-size <ALPHA>")]
        [Description("PGD step size α (number or fraction). Default 2.5·ε/steps.")]
        public string? StepSize { get; init; }

        [CommandOption("--restarts <R>")]
        [Description("Random restarts (pgd, apgd; every APGD member of the suite).")]
        [DefaultValue(1)]
        public int Restarts { get; init; } = 1;

        [CommandOption("--no-random-start")]
        [Description("PGD: start from the clean input (deterministic; for comparisons with other implementations).")]
        public bool NoRandomStart { get; init; }

        [CommandOption("--norm <NORM>")]
        [Description("linf or l2.")]
        [DefaultValue("linf")]
        public string Norm { get; init; } = "linf";

        [CommandOption("--threat <REGION>")]
        [Description(ThreatRegions.Help + " Default: foreground for masked models, full otherwise.")]
        public string? Threat { get; init; }

        [CommandOption("--masked-input")]
        [Description("For TorchScript models: the model is fed x ⊙ foreground mask (run folders say this themselves).")]
        public bool MaskedInput { get; init; }

        [CommandOption("--seed <S>")]
        [Description("Seed of every random choice (random starts, square windows).")]
        [DefaultValue(0)]
        public int Seed { get; init; }

        [CommandOption("--precision <P>")]
        [Description("fp32, or bf16 (model in bfloat16 during the search; the final decision is always float32).")]
        [DefaultValue("fp32")]
        public string Precision { get; init; } = "fp32";

        [CommandOption("--no-early-stop")]
        [Description("Keep attacking examples already fooled (same robust accuracy, more gradient evaluations).")]
        public bool NoEarlyStop { get; init; }

        [CommandOption("--batch-size <N>")]
        [Description("Images attacked at once.")]
        [DefaultValue(128)]
        public int BatchSize { get; init; } = 128;

        [CommandOption("--out <FILE>")]
        [Description("Write the report (accuracies, sweep, per-example records, timing) as JSON.")]
        public string? Out { get; init; }

        [CommandOption("--save-adversarial <FILE.npy>")]
        [Description("Write each example's final adversarial image as FILE.npy (N x S x S x 3, the dataset store's layout) and its record (index, "
            + "label, prediction, fooled, step, margin, ε) as FILE.records.json.")]
        public string? SaveAdversarial { get; init; }

        [CommandOption("--adversarial-dtype <TYPE>")]
        [Description("uint8 (round(255·x), as the store) or float32 (the attack's exact values in [[0,1]]).")]
        [DefaultValue("uint8")]
        public string AdversarialDtype { get; init; } = "uint8";

        public override ValidationResult Validate()
        {
            var common = base.Validate();
            if (!common.Successful) return common;
            return OptionRange.First(
                string.IsNullOrWhiteSpace(Model) ? "--model is required" : null,
                string.IsNullOrWhiteSpace(Data) ? "--data is required" : null,
                OptionRange.Integer(Count, "-n/--count", 1),
                OptionRange.Integer(Steps, "--steps", 1, 1_000_000),
                OptionRange.Fraction(StepSize, "--step-size", 0, 1, minExclusive: true),
                OptionRange.Integer(Restarts, "--restarts", 1, 1000),
                OptionRange.Integer(BatchSize, "--batch-size", 1, 65536),
                Sweep is null ? OptionRange.Fraction(Epsilon, "--eps", 0, 1) : OptionRange.FractionList(Sweep, "--eps-sweep", 0, 1));
        }

        /// <summary>The attack the registry builds (<see cref="AttackRegistry.Create"/>), from the options.</summary>
        public AttackRequest Request() => new()
        {
            Name = Attack,
            Steps = Steps,
            StepSize = StepSize is null ? null : Fraction.Parse(StepSize),
            Restarts = Restarts,
            RandomStart = !NoRandomStart,
            Seed = Seed,
            EarlyStop = !NoEarlyStop,
            Precision = OptionChoice.Parse<Attacks.Precision>(Precision, "--precision"),
        };

        /// <summary>
        /// The evaluation's options; without --threat the region is the foreground for a model that masks its input
        /// (<paramref name="modelMasksInput"/>) and the full image otherwise.
        /// </summary>
        public EvaluationOptions Evaluation(bool modelMasksInput, TorchSharp.torch.Device device) => new()
        {
            Epsilons = Sweep is null ? [Fraction.Parse(Epsilon)] : Fraction.ParseList(Sweep),
            Norm = OptionChoice.Parse<Attacks.Norm>(Norm, "--norm"),
            Region = Threat is null ? (modelMasksInput ? ThreatRegion.Foreground : ThreatRegion.Full) : OptionChoice.Threat(Threat, "--threat"),
            Limit = Count,
            BatchSize = BatchSize,
            Device = device,
        };

        /// <summary>How --save-adversarial writes pixels.</summary>
        public AdversarialPixels Pixels() => OptionChoice.Parse<AdversarialPixels>(AdversarialDtype, "--adversarial-dtype");
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.Model.Length == 0) throw new MaskbenchException("--model is required");
        if (settings.Data.Length == 0) throw new MaskbenchException("--data is required");
        var device = TorchRuntime.SelectDevice(settings.Device);
        // Every option is parsed (and a bad value refused) before the dataset and the model load.
        var request = settings.Request();
        var pixels = settings.Pixels();
        _ = settings.Evaluation(false, device);
        // Opening the split checks its arrays against the manifest's SHA-256 (a changed dataset is refused), before the model loads.
        using var dataset = DatasetStore.Open(settings.Data);
        if (!dataset.SplitNames.Contains(settings.Split))
            throw new MaskbenchException($"{settings.Data} has no split '{settings.Split}' (it has {string.Join(", ", dataset.SplitNames)})");
        var split = dataset.Split(settings.Split);
        // Refuse an unwritable --out before the attack, not after it.
        if (settings.Out is not null) Maskbench.Files.OutputLocation.EnsureWritableFile(settings.Out);
        var model = AttackedModel.Load(settings.Model, device, settings.MaskedInput);
        var attack = AttackRegistry.Create(request);
        var options = settings.Evaluation(model.Input.MasksInput, device);
        using var adversarial = settings.SaveAdversarial is null ? null : new AdversarialExampleWriter(settings.SaveAdversarial, pixels);
        var report = ConsoleProgress.Run(settings, sink => RobustnessEvaluator.Evaluate(split, settings.Split, model, attack, options, sink,
            request.Precision, request.Seed, adversarial));
        report.Settings["data"] = settings.Data;
        report.Settings["model"] = settings.Model;
        report.Settings["steps"] = settings.Steps?.ToString() ?? "default";
        report.Settings["stepSize"] = settings.StepSize ?? "default";
        report.Settings["restarts"] = settings.Restarts.ToString();
        report.Settings["randomStart"] = (!settings.NoRandomStart).ToString();
        report.Settings["earlyStop"] = (!settings.NoEarlyStop).ToString();

        var table = new Table().Title($"[bold]{Markup.Escape(report.Attack)}[/] on {Markup.Escape(report.Split)} ({report.Count} images, "
            + $"{report.Threat} threat, {report.Norm})")
            .AddColumn("ε").AddColumn(new TableColumn("robust accuracy").RightAligned())
            .AddColumn(new TableColumn("gradients").RightAligned()).AddColumn(new TableColumn("seconds").RightAligned());
        table.AddRow("natural", report.NaturalAccuracy.ToString("P2"), "", "");
        foreach (var s in report.Sweep)
            table.AddRow($"{s.Epsilon:0.#####} ({s.Epsilon * 255:0.##}/255)", s.RobustAccuracy.ToString("P2"), s.GradientEvaluations.ToString("N0"),
                s.Seconds.ToString("0.0"));
        AnsiConsole.Write(table);
        if (report.Kernels is { } kernels) AnsiConsole.MarkupLine($"kernels: {Markup.Escape(kernels.Summary)}");
        if (adversarial is not null)
            AnsiConsole.MarkupLine($"wrote [green]{Markup.Escape(adversarial.ArrayPath)}[/] and [green]{Markup.Escape(adversarial.RecordsPath)}[/]");
        if (settings.Out is not null)
        {
            report.Save(settings.Out);
            AnsiConsole.MarkupLine($"wrote [green]{Markup.Escape(settings.Out)}[/]");
        }
        return 0;
    }
}
