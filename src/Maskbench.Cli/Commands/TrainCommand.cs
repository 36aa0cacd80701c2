using Maskbench.Masks.Sources;
using System.ComponentModel;
using System.Security.Cryptography;
using Maskbench.Attacks;
using Maskbench.Cli.Rendering;
using Maskbench.Data;
using Maskbench.Masks.Learned;
using Maskbench.Models;
using Maskbench.Runtime;
using Maskbench.Training;
using Spectre.Console.Cli;

namespace Maskbench.Cli.Commands;

sealed class TrainSettings : DeviceSettings
{
    [CommandOption("--data <DATASET>")]
    [Description("Dataset folder (dataset.json and its splits).")]
    public string Data { get; init; } = "";

    [CommandOption("--split <NAME>")]
    [Description("Split to train on; the validation slice is held out of it.")]
    [DefaultValue("train")]
    public string Split { get; init; } = "train";

    [CommandOption("--masked")]
    [Description("Train on x * mask; the adversary then perturbs the foreground only.")]
    public bool Masked { get; init; }

    [CommandOption("--masker <DIR>")]
    [Description("With --masked: train on the masks this masker (train-masker) predicts from the clean images, not the dataset's (the masker stays "
        + "frozen; see --joint).")]
    public string? Masker { get; init; }

    [CommandOption("--joint")]
    [Description("With --masked --masker: train the classifier on x * sigmoid(masker(x)) end to end and fine-tune the masker "
        + "with it (natural or pgd mode; the PGD adversary attacks the whole pipeline over the full image). The tuned masker is "
        + "written to RUN/masker.")]
    public bool Joint { get; init; }

    [CommandOption("--segmentation-weight <W>")]
    [Description("With --joint: weight of the masker's segmentation loss (BCE + Dice against the dataset's masks) beside the classifier's "
        + "cross-entropy (default 1).")]
    public double? SegmentationWeight { get; init; }

    [CommandOption("--masker-lr <LR>")]
    [Description("With --joint: Adam step size of the masker at the classifier's initial learning rate (it follows the classifier's schedule; "
        + "default 0.0002).")]
    public double? MaskerLr { get; init; }

    [CommandOption("--joint-mask <MODE>")]
    [Description("With --joint: the mask the classifier trains on: threshold (the deployed 0/1 mask, straight-through gradient; default) or soft "
        + "(sigmoid(logit); then attack-pipeline --mask-mode soft).")]
    public string? JointMask { get; init; }

    [CommandOption("--arch <ARCH>")]
    [Description("vgg11, vgg13, vgg16, vgg19, preactresnet18 or smallcnn (grey input).")]
    [DefaultValue("vgg19")]
    public string Arch { get; init; } = "vgg19";

    [CommandOption("--width <W>")]
    [Description("Channel width multiplier (1 = the published network; 0.25 or 0.0625 for quick CPU runs).")]
    [DefaultValue(1.0)]
    public double Width { get; init; } = 1.0;

    [CommandOption("--mode <MODE>")]
    [Description("natural, pgd (Madry et al.), fast (FGSM with random start, Wong et al.) or free (Shafahi et al.).")]
    [DefaultValue("natural")]
    public string Mode { get; init; } = "natural";

    [CommandOption("--epochs <E>")]
    [Description("Epochs (for free training, passes over the data, each batch replayed --free-replays times).")]
    [DefaultValue(10)]
    public int Epochs { get; init; } = 10;

    [CommandOption("--out <RUN>")]
    [Description("Run folder to create (run.json, last.ckpt, best.ckpt, metrics.jsonl).")]
    public string Out { get; init; } = "";

    [CommandOption("--eps <EPS>")]
    [Description("L-infinity radius in [[0,1]] pixel units, as a number or fraction.")]
    [DefaultValue("8/255")]
    public string Eps { get; init; } = "8/255";

    [CommandOption("--eps-warmup <E>")]
    [Description("Epochs over which the training ε grows linearly to --eps (0: full ε from the start).")]
    [DefaultValue(0)]
    public int EpsWarmup { get; init; }

    [CommandOption("--steps <K>")]
    [Description("PGD steps when --mode pgd.")]
    [DefaultValue(7)]
    public int Steps { get; init; } = 7;

    [CommandOption("--step-size <ALPHA>")]
    [Description("PGD step size when --mode pgd.")]
    [DefaultValue("2/255")]
    public string StepSize { get; init; } = "2/255";

    [CommandOption("--free-replays <M>")]
    [Description("Replays of each batch in free training.")]
    [DefaultValue(4)]
    public int FreeReplays { get; init; } = 4;

    [CommandOption("--batch <N>")]
    [Description("Batch size.")]
    [DefaultValue(128)]
    public int Batch { get; init; } = 128;

    [CommandOption("--lr <LR>")]
    [Description("Initial learning rate (SGD, momentum 0.9, weight decay 5e-4).")]
    [DefaultValue(0.1)]
    public double Lr { get; init; } = 0.1;

    [CommandOption("--schedule <S>")]
    [Description("multistep (/10 at 50% and 75% of the epochs) or cosine (per iteration).")]
    [DefaultValue("multistep")]
    public string Schedule { get; init; } = "multistep";

    [CommandOption("--seed <S>")]
    [Description("Seed of initialization, validation slice, shuffles, augmentation and attacks.")]
    [DefaultValue(0)]
    public int Seed { get; init; }

    [CommandOption("--limit-train <N>")]
    [Description("Train on at most N images (after the validation slice is taken).")]
    public int? LimitTrain { get; init; }

    [CommandOption("--val <N>")]
    [Description("Images held out of the training split for per-epoch validation.")]
    [DefaultValue(500)]
    public int Val { get; init; } = 500;

    [CommandOption("--val-steps <K>")]
    [Description("PGD steps of the validation adversary (step 2.5 eps / K).")]
    [DefaultValue(10)]
    public int ValSteps { get; init; } = 10;

    [CommandOption("--resume")]
    [Description("Continue the run in --out from its last checkpoint (same options; --epochs may grow).")]
    public bool Resume { get; init; }

    [CommandOption("--precision <P>")]
    [Description("fp32, or bf16: bfloat16 forward and backward passes (and adversary search) with float32 master weights, optimizer state and loss; "
        + "validation stays float32.")]
    [DefaultValue("fp32")]
    public string Precision { get; init; } = "fp32";

    public override Spectre.Console.ValidationResult Validate()
    {
        if (string.IsNullOrWhiteSpace(Data)) return Spectre.Console.ValidationResult.Error("--data is required");
        if (string.IsNullOrWhiteSpace(Out)) return Spectre.Console.ValidationResult.Error("--out is required");
        var common = base.Validate();
        if (!common.Successful) return common;
        return OptionRange.First(
            OptionRange.Real(Width, "--width", 0, 16, minExclusive: true),
            OptionRange.Integer(Epochs, "--epochs", 1, 100_000),
            OptionRange.Fraction(Eps, "--eps", 0, 1),
            OptionRange.Integer(EpsWarmup, "--eps-warmup", 0, Epochs),
            OptionRange.Integer(Steps, "--steps", 1, 10_000),
            OptionRange.Fraction(StepSize, "--step-size", 0, 1, minExclusive: true),
            OptionRange.Integer(FreeReplays, "--free-replays", 1, 1000),
            OptionRange.Integer(Batch, "--batch", 1, 65536),
            OptionRange.Real(Lr, "--lr", 0, 10, minExclusive: true),
            OptionRange.Integer(LimitTrain, "--limit-train", 1),
            OptionRange.Integer(Val, "--val", 0),
            OptionRange.Integer(ValSteps, "--val-steps", 1, 10_000),
            OptionRange.Real(SegmentationWeight, "--segmentation-weight", 0, 1e6),
            OptionRange.Real(MaskerLr, "--masker-lr", 0, 10, minExclusive: true));
    }

    /// <summary>What <see cref="Trainer"/> receives as its options (the dataset then sets the flip augmentation).</summary>
    public TrainingOptions Options() => new()
    {
        Mode = OptionChoice.Parse<TrainingMode>(Mode, "--mode"),
        Epochs = Epochs, BatchSize = Batch, LearningRate = Lr,
        Schedule = OptionChoice.Parse<LearningRateSchedule>(Schedule, "--schedule"),
        Epsilon = ParseFraction(Eps, "--eps"), EpsilonWarmupEpochs = EpsWarmup, Steps = Steps,
        StepSize = ParseFraction(StepSize, "--step-size"), FreeReplays = FreeReplays,
        Seed = Seed, Masked = Masked, LimitTrain = LimitTrain,
        ValidationCount = Val, ValidationSteps = ValSteps,
        Precision = OptionChoice.Parse<Maskbench.Attacks.Precision>(Precision, "--precision"),
        Joint = JointOptions(),
    };

    /// <summary>The joint-training options (--joint and its tuning options), or null without --joint.</summary>
    public JointTrainingOptions? JointOptions()
    {
        if (!Joint)
        {
            if (SegmentationWeight is not null || MaskerLr is not null || JointMask is not null)
                throw new MaskbenchException("--segmentation-weight, --masker-lr and --joint-mask tune joint training; they need --joint");
            return null;
        }
        if (Masker is null) throw new MaskbenchException("--joint fine-tunes a masker; name it with --masker");
        if (!Masked) throw new MaskbenchException("--joint trains a masked classifier, so it needs --masked");
        var joint = new JointTrainingOptions { Masker = Masker };
        return joint with
        {
            SegmentationWeight = SegmentationWeight ?? joint.SegmentationWeight,
            MaskerLearningRate = MaskerLr ?? joint.MaskerLearningRate,
            Mask = JointMask is null ? joint.Mask : OptionChoice.Parse<Maskbench.Attacks.MaskMode>(JointMask, "--joint-mask"),
        };
    }

    static double ParseFraction(string text, string option) =>
        Fraction.TryParse(text, out double value) ? value
            : throw new MaskbenchException($"{option} {text}: expected a number such as 0.031 or a fraction such as 8/255");
}

/// <summary>`maskbench train`: reads the dataset, then hands everything to <see cref="Trainer"/>.</summary>
sealed class TrainCommand : Command<TrainSettings>
{
    public override int Execute(CommandContext context, TrainSettings settings, CancellationToken cancellationToken)
    {
        Maskbench.Files.OutputLocation.EnsureReplaceableFolder(settings.Out);
        var device = TorchRuntime.SelectDevice(settings.Device);
        var options = settings.Options();
        using var dataset = DatasetStore.Open(settings.Data);
        if (!dataset.HasSplit(settings.Split))
            throw new MaskbenchException($"{settings.Data} has no split '{settings.Split}'; it has {string.Join(", ", dataset.SplitNames)}");
        options = options with { HorizontalFlip = dataset.Manifest.HorizontalFlipPreservesLabels };
        SplitArrays data = dataset.Split(settings.Split).Load();   // the dataset owns (and disposes) its splits
        MaskSource? inputMasks = null;
        if (options.Joint is null && settings.Masker is not null)
        {
            if (!settings.Masked) throw new MaskbenchException("--masker replaces the dataset's masks, so it needs --masked");
            inputMasks = new MaskSource.Predicted(Path.GetFullPath(settings.Masker));
            data = inputMasks.ForTraining(data, device);
        }
        string manifestPath = Path.Combine(settings.Data, DatasetStore.ManifestFile);
        var identity = new DatasetIdentity(Path.GetFullPath(settings.Data),
            Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(manifestPath))), dataset.Manifest.Name);
        int channels = settings.Arch.Equals("smallcnn", StringComparison.OrdinalIgnoreCase) ? 1 : 3;
        var spec = ModelFactory.Spec(settings.Arch, dataset.Manifest.ClassNames.Count, dataset.Manifest.ImageSize, channels, settings.Width,
            settings.Masked);
        var result = ConsoleProgress.Run(settings, sink =>
            new Trainer(options, sink) { InputMasks = inputMasks?.Record() }.Train(data, spec, identity, dataset.Manifest.ClassNames, settings.Out,
                settings.Resume, device, cancellationToken));
        var best = result.Epochs.FirstOrDefault(e => e.Epoch == result.BestEpoch);
        Console.WriteLine($"trained {spec.Description} into {result.RunFolder}; best epoch {result.BestEpoch}" +
            (best is null ? "" : $" (validation natural {best.ValidationNaturalAccuracy:P1}, PGD {best.ValidationPgdAccuracy:P1})"));
        return 0;
    }
}
