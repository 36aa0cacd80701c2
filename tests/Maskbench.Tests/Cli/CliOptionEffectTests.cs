using System.Reflection;
using Maskbench.Cli;
using Maskbench.Cli.Commands;
using Maskbench.Experiments;
using Maskbench.Kernels;
using Maskbench.Runtime;
using Spectre.Console.Cli;

namespace Maskbench.Tests.Cli;

/// <summary>
/// Options reach what the command hands to the library: the real command tree parses the arguments (both
/// <c>--opt value</c> and <c>--opt=value</c>), an interceptor takes the bound settings before the command runs, and
/// the test reads the resolved values the library receives (the runtime settings, the experiment profile).
/// </summary>
public class CliOptionEffectTests
{
    static readonly string[] Doctor = ["doctor"], Info = ["info", "ds"], Preview = ["preview", "ds"], Bench = ["bench"],
        Reproduce = ["reproduce", "--data", "ds"], Mnist = ["reproduce", "mnist"], Merge = ["merge", "dir", "--out", "o"],
        Demo = ["demo"], Report = ["report", "--results", "r.json"], BuildGtsrb = ["build", "gtsrb", "--src", "s", "--out", "o"],
        BuildCoco = ["build", "coco", "--annotations", "a.json", "--images", "i", "--split", "train", "--out", "o"],
        MasksEvaluate = ["masks", "evaluate", "--src", "s"], MasksEvaluateDataset = ["masks", "evaluate", "--dataset", "ds", "--truth", "t"],
        SynthGtsrb = ["synth", "gtsrb", "--out", "o"], SynthCoco = ["synth", "coco", "--out", "o"],
        CocoMasks = ["coco", "masks", "--annotations", "a.json", "--out", "o.txt"], Attack = ["attack", "--model", "m", "--data", "d"],
        TrainMasker = ["train-masker", "--data", "d", "--out", "o"],
        AttackPipeline = ["attack-pipeline", "--model", "m", "--masker", "k", "--data", "d"],
        Train = ["train", "--data", "d", "--out", "o"], Export = ["export"], Import = ["import"];

    /// <summary>One invocation of every command of the registry, with the arguments it needs to bind.</summary>
    public static readonly string[][] Invocations =
    [
        Doctor, Info, Preview, Bench, Reproduce, Mnist, Merge, Demo, Report, BuildGtsrb, BuildCoco, MasksEvaluate,
        SynthGtsrb, SynthCoco, CocoMasks, Attack, TrainMasker, AttackPipeline, Train, Export, Import,
    ];

    sealed class Captured(CommandSettings settings, string name) : Exception("captured")
    {
        public CommandSettings Settings { get; } = settings;
        public string Name { get; } = name;
    }

    sealed class CaptureInterceptor : ICommandInterceptor
    {
        public void Intercept(CommandContext context, CommandSettings settings) => throw new Captured(settings, context.Name);
    }

    /// <summary>The settings the command would run with, bound by the real tree; nothing runs.</summary>
    internal static (CommandSettings Settings, string Name) Bind(params string[] args)
    {
        var app = CommandRegistry.App(new CaptureInterceptor());
        try
        {
            app.Run(OptionArguments.Normalize(args));
        }
        catch (Captured c)
        {
            return (c.Settings, c.Name);
        }
        throw new Xunit.Sdk.XunitException($"{string.Join(' ', args)}: the command was not reached");
    }

    static IEnumerable<Type> CommandTypes() => typeof(CommandRegistry).Assembly.GetTypes()
        .Where(t => !t.IsAbstract && t.BaseType is { IsGenericType: true } b
            && (b.GetGenericTypeDefinition() == typeof(Command<>) || b.GetGenericTypeDefinition() == typeof(AsyncCommand<>)));

    static Type SettingsOf(Type command) => command.BaseType!.GetGenericArguments()[0];

    [Fact]
    public void Every_command_of_the_assembly_is_registered_and_invoked_here()
    {
        var reached = Invocations.Select(a => Bind(a).Settings.GetType()).ToHashSet();
        var declared = CommandTypes().Select(SettingsOf).ToHashSet();
        Assert.Equal(21, CommandTypes().Count());
        Assert.Empty(declared.Except(reached).Select(t => t.FullName));
    }

    /// <summary>
    /// The options every command takes, in both spellings, reach the runtime settings of every command, reproduce
    /// included (whose branch once overwrote given values with [DefaultValue]s).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Global_options_reach_every_command(bool equalsForm)
    {
        foreach (var invocation in Invocations)
        {
            string[] Option(string name, string value) => equalsForm ? [$"{name}={value}"] : [name, value];
            var (bound, _) = Bind([.. invocation, .. Option("--threads", "3"), .. Option("--kernel-route", "float64"),
                .. Option("--progress", "json"), "--verbose"]);
            var settings = Assert.IsAssignableFrom<GlobalSettings>(bound);
            string what = string.Join(' ', invocation);
            Assert.True(settings.Threads == 3, what);
            Assert.True(settings.KernelPolicy == KernelPolicy.Float64, what);
            Assert.True(settings.ProgressStyle == Maskbench.Cli.Rendering.ProgressStyle.Json, what);
            Assert.True(settings.Verbose, what);
            if (settings is DeviceSettings)
            {
                var (withDevice, _) = Bind([.. invocation, .. Option("--device", "cpu")]);
                Assert.True(((DeviceSettings)withDevice).Device == "cpu", what);
            }
        }
        var (plain, _) = Bind("reproduce", "--data", "ds");
        Assert.Equal("auto", ((DeviceSettings)plain).Device);
        Assert.Equal(Maskbench.Cli.Rendering.ProgressStyle.Auto, ((GlobalSettings)plain).ProgressStyle);
    }

    /// <summary>
    /// The interceptor that every command runs behind hands --threads to the library's compute budget. (Set to the
    /// thread count libtorch already has, so that tests running beside this one compute exactly as before.)
    /// </summary>
    [Fact]
    public void The_runtime_interceptor_applies_the_thread_budget()
    {
        int before = ComputeThreads.Requested;
        int threads = TorchSharp.torch.get_num_threads();
        var (bound, _) = Bind([.. BuildGtsrb, $"--threads={threads}"]);
        try
        {
            new RuntimeInterceptor().Intercept(null!, bound);
            Assert.Equal(threads, ComputeThreads.Requested);
            Assert.Equal(threads, ComputeThreads.For(0));
            Assert.Equal(5, ComputeThreads.For(5));
            Assert.Equal(threads, TorchSharp.torch.get_num_threads());
        }
        finally
        {
            ComputeThreads.Request(before);
        }
    }

    /// <summary>
    /// One option of one command and where its value shows: in what the command hands to the library (a profile, an
    /// options record), or, for a value the command passes on as given (a path, a switch), in the bound settings.
    /// </summary>
    public sealed record Effect(string[] Command, string Option, string? Value, Func<CommandSettings, object?> Resolve, object? Expected)
    {
        public override string ToString() => $"{string.Join(' ', Command)} {Option} {Value}";
    }

    static Effect E<T>(string[] command, string option, string? value, Func<T, object?> resolve, object? expected) where T : CommandSettings =>
        new(command, option, value, s => resolve((T)s), expected);

    /// <summary>Passed on verbatim: the bound property is what the library receives.</summary>
    static Effect V(string[] command, string option, string? value, object? expected = null) =>
        new(command, option, value, s => OptionProperty(s.GetType(), option)!.GetValue(s), expected ?? (value is null ? true : value));

    static ExperimentProfile Profile(ReproduceSettings s) => s.ResolveProfile();

    /// <summary>attack's evaluation options for a plain model (whose default region is the full image).</summary>
    static Maskbench.Evaluation.EvaluationOptions Evaluation(AttackCommand.Settings s) => s.Evaluation(modelMasksInput: false, TorchSharp.torch.CPU);

    static Maskbench.Evaluation.Pipeline.PipelineAttackOptions Pipeline(AttackPipelineSettings s) => s.Options(TorchSharp.torch.CPU);

    public static readonly Effect[] Effects =
    [
        // reproduce: the profile the grid runs, and what Reproduction.Run receives as given.
        E<ReproduceSettings>(Reproduce, "--profile", "workstation", s => Profile(s).Name, "workstation"),
        E<ReproduceSettings>(Reproduce, "--arch", "SmallCnn", s => Profile(s).Arch, "smallcnn"),
        E<ReproduceSettings>(Reproduce, "--epochs", "7", s => Profile(s).Epochs, 7),
        E<ReproduceSettings>(Reproduce, "--width", "0.75", s => Profile(s).Width, 0.75),
        E<ReproduceSettings>(Reproduce, "--train-limit", "123", s => Profile(s).TrainLimit, 123),
        E<ReproduceSettings>(Reproduce, "--test-limit", "45", s => Profile(s).TestLimit, 45),
        E<ReproduceSettings>(Reproduce, "--batch", "17", s => Profile(s).BatchSize, 17),
        E<ReproduceSettings>(Reproduce, "--lr", "0.031", s => Profile(s).LearningRate, 0.031),
        E<ReproduceSettings>(Reproduce, "--schedule", "cosine", s => Profile(s).Schedule, Maskbench.Training.LearningRateSchedule.Cosine),
        E<ReproduceSettings>(Reproduce, "--train-steps", "3", s => Profile(s).TrainSteps, 3),
        E<ReproduceSettings>(Reproduce, "--eps-warmup", "2", s => Profile(s).TrainEpsilonWarmup, 2),
        E<ReproduceSettings>(Reproduce, "--pgd-steps", "9", s => Profile(s).PgdSteps, 9),
        E<ReproduceSettings>(Reproduce, "--restarts", "4", s => Profile(s).Restarts, 4),
        E<ReproduceSettings>(Reproduce, "--precision", "bf16", s => Profile(s).Precision, Maskbench.Attacks.Precision.Bf16),
        E<ReproduceSettings>(Reproduce, "--seeds", "2", s => Profile(s).Seeds, 2),
        V(Reproduce, "--data", "ds2"), V(Reproduce, "--out", "o"), V(Reproduce, "--force", null), V(Reproduce, "--cells", "train/*"),
        V(Reproduce, "--print-plan", null), V(Reproduce, "--masker", "k"),
        // reproduce mnist: the baseline's options (--epochs, --width, --batch and --lr are shared with reproduce).
        E<ReproduceMnistSettings>(Mnist, "--eval-limit", "10", s => s.Options().EvaluationLimit, 10),
        E<ReproduceMnistSettings>(Mnist, "--steps", "5", s => s.Options().Steps, 5),
        E<ReproduceMnistSettings>(Mnist, "--epochs", "3", s => s.Options().Epochs, 3),
        E<ReproduceMnistSettings>(Mnist, "--width", "0.25", s => s.Options().Width, 0.25),
        E<ReproduceMnistSettings>(Mnist, "--batch", "16", s => s.Options().BatchSize, 16),
        E<ReproduceMnistSettings>(Mnist, "--lr", "0.1", s => s.Options().LearningRate, 0.1),
        V(Mnist, "--idx", "idx"), V(Mnist, "--out", "o"),
        // train: the Trainer's options, and the model's arguments as given.
        E<TrainSettings>(Train, "--masked", null, s => s.Options().Masked, true),
        E<TrainSettings>(Train, "--mode", "pgd", s => s.Options().Mode, Maskbench.Training.TrainingMode.Pgd),
        E<TrainSettings>(Train, "--epochs", "3", s => s.Options().Epochs, 3),
        E<TrainSettings>(Train, "--eps", "4/255", s => s.Options().Epsilon, 4 / 255.0),
        E<TrainSettings>(Train, "--eps-warmup", "1", s => s.Options().EpsilonWarmupEpochs, 1),
        E<TrainSettings>(Train, "--steps", "3", s => s.Options().Steps, 3),
        E<TrainSettings>(Train, "--step-size", "1/255", s => s.Options().StepSize, 1 / 255.0),
        E<TrainSettings>(Train, "--free-replays", "2", s => s.Options().FreeReplays, 2),
        E<TrainSettings>(Train, "--batch", "32", s => s.Options().BatchSize, 32),
        E<TrainSettings>(Train, "--lr", "0.05", s => s.Options().LearningRate, 0.05),
        E<TrainSettings>(Train, "--schedule", "cosine", s => s.Options().Schedule, Maskbench.Training.LearningRateSchedule.Cosine),
        E<TrainSettings>(Train, "--seed", "5", s => s.Options().Seed, 5),
        E<TrainSettings>(Train, "--limit-train", "100", s => s.Options().LimitTrain, 100),
        E<TrainSettings>(Train, "--val", "50", s => s.Options().ValidationCount, 50),
        E<TrainSettings>(Train, "--val-steps", "2", s => s.Options().ValidationSteps, 2),
        E<TrainSettings>(Train, "--precision", "bf16", s => s.Options().Precision, Maskbench.Attacks.Precision.Bf16),
        E<TrainSettings>([.. Train, "--masked", "--masker", "k"], "--joint", null, s => s.Options().Joint?.Masker, "k"),
        E<TrainSettings>([.. Train, "--masked", "--masker", "k", "--joint"], "--segmentation-weight", "0.5", s =>
            s.Options().Joint!.SegmentationWeight, 0.5),
        E<TrainSettings>([.. Train, "--masked", "--masker", "k", "--joint"], "--masker-lr", "0.001", s =>
            s.Options().Joint!.MaskerLearningRate, 0.001),
        E<TrainSettings>([.. Train, "--masked", "--masker", "k", "--joint"], "--joint-mask", "soft", s => s.Options().Joint!.Mask,
            Maskbench.Attacks.MaskMode.Soft),
        V(Train, "--data", "d2"), V(Train, "--out", "o2"), V(Train, "--split", "val"), V(Train, "--masker", "k"),
        V(Train, "--arch", "smallcnn"), V(Train, "--width", "0.5", 0.5), V(Train, "--resume", null),
        // build gtsrb: the builder's options.
        E<BuildGtsrbSettings>(BuildGtsrb, "--size", "48", s => s.BuildOptions().ImageSize, 48),
        E<BuildGtsrbSettings>(BuildGtsrb, "--crop", "full", s => s.BuildOptions().Crop, Maskbench.Data.Gtsrb.GtsrbCrop.Full),
        E<BuildGtsrbSettings>(BuildGtsrb, "--seed", "3", s => s.BuildOptions().Seed, 3),
        E<BuildGtsrbSettings>(BuildGtsrb, "--workers", "2", s => s.BuildOptions().Workers, 2),
        E<BuildGtsrbSettings>(BuildGtsrb, "--on-error", "skip", s => s.BuildOptions().OnError, Maskbench.Data.Gtsrb.ErrorPolicy.Skip),
        E<BuildGtsrbSettings>(BuildGtsrb, "--test-fraction", "0.2", s => s.BuildOptions().TestFraction, 0.2),
        E<BuildGtsrbSettings>(BuildGtsrb, "--limit-per-class", "5", s => s.BuildOptions().LimitPerClass, 5),
        E<BuildGtsrbSettings>(BuildGtsrb, "--test-csv", "t.csv", s => s.BuildOptions().TestCsv, "t.csv"),
        V(BuildGtsrb, "--src", "s2"), V(BuildGtsrb, "--out", "o2"), V(BuildGtsrb, "--force", null),
        // build coco: the crop builder's options.
        E<BuildCocoSettings>(BuildCoco, "--annotations", "b.json,c.json", s => string.Join('|', s.CropOptions().AnnotationFiles), "b.json|c.json"),
        E<BuildCocoSettings>(BuildCoco, "--images", "j", s => s.CropOptions().ImageFolder, "j"),
        E<BuildCocoSettings>(BuildCoco, "--split", "test", s => s.CropOptions().Split, "test"),
        E<BuildCocoSettings>(BuildCoco, "--size", "64", s => s.CropOptions().Size, 64),
        E<BuildCocoSettings>(BuildCoco, "--classes", "top5", s => s.CropOptions().Classes?.Top, 5),
        E<BuildCocoSettings>(BuildCoco, "--exclude", "none", s => s.CropOptions().Exclude is { } e ? string.Join('|', e) : null, ""),
        E<BuildCocoSettings>(BuildCoco, "--min-size", "10", s => s.CropOptions().MinSize, 10),
        V(BuildCoco, "--out", "o2"), V(BuildCoco, "--force", null), V(BuildCoco, "--preview", "p.png"),
        // synth gtsrb: the generator's options.
        E<SynthGtsrbSettings>(SynthGtsrb, "--classes", "5", s => s.Options().Classes, 5),
        E<SynthGtsrbSettings>(SynthGtsrb, "--train-per-class", "3", s => s.Options().TrainPerClass, 3),
        E<SynthGtsrbSettings>(SynthGtsrb, "--test-per-class", "2", s => s.Options().TestPerClass, 2),
        E<SynthGtsrbSettings>(SynthGtsrb, "--seed", "4", s => s.Options().Seed, 4),
        E<SynthGtsrbSettings>(SynthGtsrb, "--workers", "2", s => s.Options().Workers, 2),
        V(SynthGtsrb, "--out", "o2"),
        // train-masker: the masker trainer's options; --width and --depth shape the U-Net as given.
        E<TrainMaskerSettings>(TrainMasker, "--mode", "pgd", s => s.Options().Mode, Maskbench.Masks.Learned.MaskerTrainingMode.Pgd),
        E<TrainMaskerSettings>(TrainMasker, "--epochs", "3", s => s.Options().Epochs, 3),
        E<TrainMaskerSettings>(TrainMasker, "--batch", "8", s => s.Options().BatchSize, 8),
        E<TrainMaskerSettings>(TrainMasker, "--lr", "0.01", s => s.Options().LearningRate, 0.01),
        E<TrainMaskerSettings>(TrainMasker, "--eps", "4/255", s => s.Options().Epsilon, 4 / 255.0),
        E<TrainMaskerSettings>(TrainMasker, "--steps", "2", s => s.Options().Steps, 2),
        E<TrainMaskerSettings>(TrainMasker, "--limit-train", "10", s => s.Options().LimitTrain, 10),
        E<TrainMaskerSettings>(TrainMasker, "--no-augment", null, s => s.Options().Augment, false),
        E<TrainMaskerSettings>(TrainMasker, "--seed", "2", s => s.Options().Seed, 2),
        V(TrainMasker, "--data", "d2"), V(TrainMasker, "--out", "o2"), V(TrainMasker, "--width", "8", 8), V(TrainMasker, "--depth", "2", 2),
        // attack: the AttackRequest the registry builds, the EvaluationOptions and the adversarial pixels the
        // evaluator receives; the model, data and output paths as given.
        E<AttackCommand.Settings>(Attack, "--attack", "apgd-ce", s => s.Request().Name, "apgd-ce"),
        E<AttackCommand.Settings>(Attack, "--steps", "7", s => s.Request().Steps, 7),
        E<AttackCommand.Settings>(Attack, "--step-size", "1/255", s => s.Request().StepSize, 1 / 255.0),
        E<AttackCommand.Settings>(Attack, "--restarts", "3", s => s.Request().Restarts, 3),
        E<AttackCommand.Settings>(Attack, "--no-random-start", null, s => s.Request().RandomStart, false),
        E<AttackCommand.Settings>(Attack, "--seed", "5", s => s.Request().Seed, 5),
        E<AttackCommand.Settings>(Attack, "--no-early-stop", null, s => s.Request().EarlyStop, false),
        E<AttackCommand.Settings>(Attack, "--precision", "bf16", s => s.Request().Precision, Maskbench.Attacks.Precision.Bf16),
        E<AttackCommand.Settings>(Attack, "--eps", "4/255", s => Evaluation(s).Epsilons.Single(), 4 / 255.0),
        E<AttackCommand.Settings>(Attack, "--eps-sweep", "0,2/255,4/255", s =>
            string.Join('|', Evaluation(s).Epsilons.Select(e => Math.Round(e * 255, 9))), "0|2|4"),
        E<AttackCommand.Settings>(Attack, "--norm", "l2", s => Evaluation(s).Norm, Maskbench.Attacks.Norm.L2),
        E<AttackCommand.Settings>(Attack, "--threat", "true-foreground", s => Evaluation(s).Region, Maskbench.Attacks.ThreatRegion.TrueForeground),
        E<AttackCommand.Settings>(Attack, "--count", "9", s => Evaluation(s).Limit, 9),
        E<AttackCommand.Settings>(Attack, "--batch-size", "16", s => Evaluation(s).BatchSize, 16),
        E<AttackCommand.Settings>(Attack, "--adversarial-dtype", "float32", s => s.Pixels(), Maskbench.Evaluation.AdversarialPixels.Float32),
        V(Attack, "--model", "m2"), V(Attack, "--data", "d2"), V(Attack, "--split", "val"), V(Attack, "--masked-input", null),
        V(Attack, "--out", "r.json"), V(Attack, "--save-adversarial", "adv.npy"),
        // attack-pipeline: the PipelineAttackOptions and mask mode PipelineEvaluator receives; paths as given.
        E<AttackPipelineSettings>(AttackPipeline, "--eps", "4/255", s => Pipeline(s).Epsilon, 4 / 255.0),
        E<AttackPipelineSettings>(AttackPipeline, "--steps", "3", s => (Pipeline(s).Steps, Pipeline(s).GrowthSteps), (3, 3)),
        E<AttackPipelineSettings>(AttackPipeline, "--seed", "6", s => Pipeline(s).Seed, 6),
        E<AttackPipelineSettings>(AttackPipeline, "--limit", "12", s => Pipeline(s).Limit, 12),
        E<AttackPipelineSettings>(AttackPipeline, "--batch", "5", s => Pipeline(s).BatchSize, 5),
        E<AttackPipelineSettings>(AttackPipeline, "--threat", "full", s => Pipeline(s).Region, Maskbench.Attacks.ThreatRegion.Full),
        E<AttackPipelineSettings>(AttackPipeline, "--attacks", "non-adaptive,bpda", s => Pipeline(s).Attacks is { } a ? string.Join('|', a) : null,
            "NonAdaptive|StraightThrough"),
        E<AttackPipelineSettings>(AttackPipeline, "--mask-mode", "soft", s => s.Mode(), Maskbench.Attacks.MaskMode.Soft),
        V(AttackPipeline, "--model", "m2"), V(AttackPipeline, "--masker", "k2"), V(AttackPipeline, "--data", "d2"),
        V(AttackPipeline, "--split", "val"),
        V(AttackPipeline, "--out", "p.json"), V(AttackPipeline, "--examples", "g.png"),
        // Commands that pass their options on as given.
        V(Info, "--verify", null),
        V(Preview, "--out", "p.png"), V(Preview, "--split", "test"), V(Preview, "--count", "7", 7), V(Preview, "--per-row", "3", 3),
        V(Preview, "--seed", "9", 9),
        V(Bench, "--out", "b.json"), V(Bench, "--quick", null), V(Bench, "--list", null),
        V(Merge, "--out", "o2"), V(Demo, "--out", "o2"), V(Report, "--results", "q.json"), V(Report, "--out", "o2"),
        V(MasksEvaluateDataset, "--dataset", "ds2"), V(MasksEvaluate, "--src", "s2"), V(MasksEvaluateDataset, "--truth", "t2"),
        V(MasksEvaluate, "--peer", "grabcut"),
        V(MasksEvaluate, "--peer-iterations", "2", 2), V(MasksEvaluate, "--seed", "3", 3), V(MasksEvaluate, "--workers", "2", 2),
        V(MasksEvaluate, "--limit-per-class", "4", 4),
        V(SynthCoco, "--out", "o2"), V(SynthCoco, "--images", "5", 5), V(SynthCoco, "--seed", "6", 6),
        V(CocoMasks, "--annotations", "b.json"), V(CocoMasks, "--out", "p.txt"),
        V(Export, "--model", "m"), V(Export, "--out", "o"), V(Export, "--last", null),
        V(Import, "--weights", "w"), V(Import, "--out", "o"),
        // bench eval-job's inputs (issue 18): what BenchmarkRunner hands to the entries (BenchEvalJobTests follow them into the job).
        // --model and --data go together, so each is compared with the value the base invocation gives it.
        E<BenchCommand.Settings>([.. Bench, "eval-job", "--data", "d", "--model", "m0"], "--model", "m", s => s.Options().Model, "m"),
        E<BenchCommand.Settings>([.. Bench, "eval-job", "--model", "m", "--data", "d0"], "--data", "d", s => s.Options().Data, "d"),
        E<BenchCommand.Settings>([.. Bench, "eval-job"], "--images", "40", s => s.Options().Images, 40),
    ];

    /// <summary>reproduce's options that reproduce mnist inherits from its branch but has no use for: refused, not ignored.</summary>
    static readonly string[] RefusedByMnist =
    [
        "--data", "--profile", "--arch", "--train-limit", "--test-limit", "--schedule", "--train-steps", "--eps-warmup", "--pgd-steps",
        "--restarts", "--precision", "--seeds", "--print-plan", "--force", "--cells", "--masker",
    ];

    static readonly string[] GlobalOptions = ["--threads", "--kernel-route", "--progress", "--verbose", "--device"];

    public static TheoryData<Effect> AllEffects() => [.. Effects];

    [Theory]
    [MemberData(nameof(AllEffects))]
    public void Each_option_reaches_what_the_command_hands_to_the_library(Effect effect)
    {
        var without = Without(effect.Command, effect.Option);
        // A required option is compared with the value the base invocation gives it.
        object? unset = effect.Resolve(Bind(without.Length < effect.Command.Length ? effect.Command : without).Settings);
        Assert.False(Equals(effect.Expected, unset), $"{effect}: the value without the option already is {unset}");
        string[] spaced = effect.Value is null ? [.. without, effect.Option] : [.. without, effect.Option, effect.Value];
        Assert.Equal(effect.Expected, effect.Resolve(Bind(spaced).Settings));
        if (effect.Value is not null)
            Assert.Equal(effect.Expected, effect.Resolve(Bind([.. without, $"{effect.Option}={effect.Value}"]).Settings));
    }

    /// <summary>
    /// Without --threat, attack's region follows the model (its foreground for a masked model, every pixel for a plain
    /// one); both attack commands take the threat region's one spelling and refuse any other in one line.
    /// </summary>
    [Fact]
    public void The_threat_region_has_one_spelling_on_both_attack_commands()
    {
        var plain = (AttackCommand.Settings)Bind(Attack).Settings;
        Assert.Equal(Maskbench.Attacks.ThreatRegion.Foreground, plain.Evaluation(modelMasksInput: true, TorchSharp.torch.CPU).Region);
        Assert.Equal(Maskbench.Attacks.ThreatRegion.Full, plain.Evaluation(modelMasksInput: false, TorchSharp.torch.CPU).Region);
        var given = (AttackCommand.Settings)Bind([.. Attack, "--threat", "full"]).Settings;
        Assert.Equal(Maskbench.Attacks.ThreatRegion.Full, given.Evaluation(modelMasksInput: true, TorchSharp.torch.CPU).Region);
        Assert.Equal(Maskbench.Attacks.ThreatRegion.Foreground, Pipeline((AttackPipelineSettings)Bind(AttackPipeline).Settings).Region);
        foreach (var region in Enum.GetValues<Maskbench.Attacks.ThreatRegion>())
        {
            string spelling = Maskbench.Attacks.ThreatRegions.Spelling(region);
            Assert.Equal(region, ((AttackCommand.Settings)Bind([.. Attack, $"--threat={spelling}"]).Settings)
                .Evaluation(false, TorchSharp.torch.CPU).Region);
            Assert.Equal(region, Pipeline((AttackPipelineSettings)Bind(
                [.. AttackPipeline, "--threat", spelling.ToUpperInvariant()]).Settings).Region);
        }
        var badAttack = (AttackCommand.Settings)Bind([.. Attack, "--threat", "predicted"]).Settings;
        var e = Assert.Throws<MaskbenchException>(() => badAttack.Evaluation(false, TorchSharp.torch.CPU));
        Assert.Equal("--threat predicted: expected foreground, true-foreground or full", e.Message);
        var badPipeline = (AttackPipelineSettings)Bind([.. AttackPipeline, "--threat", "FullImage"]).Settings;
        e = Assert.Throws<MaskbenchException>(() => Pipeline(badPipeline));
        Assert.Equal("--threat FullImage: expected foreground, true-foreground or full", e.Message);
    }

    [Fact]
    public void Reproduce_mnist_refuses_the_options_of_reproduce_it_has_no_use_for()
    {
        foreach (string option in RefusedByMnist)
        {
            var settings = typeof(ReproduceMnistSettings);
            var property = OptionProperty(settings, option)!;
            string[] args = property.PropertyType == typeof(bool) || property.PropertyType == typeof(bool?)
                ? ["reproduce", "mnist", option] : ["reproduce", "mnist", option,
                option == "--profile" ? "cpu" : option is "--schedule" ? "cosine" : option is "--precision" ? "fp32" : option == "--arch"
                ? "smallcnn" : option is "--data" or "--cells" or "--masker" ? "x" : "2"];
            var e = Assert.Throws<CommandRuntimeException>(() => CommandRegistry.App(new CaptureInterceptor()).Run(args));
            Assert.Contains($"does not take {option}", e.Message);
        }
    }

    /// <summary>Every option of every command has an effect test above.</summary>
    [Fact]
    public void Every_option_of_every_command_has_an_effect_test()
    {
        var covered = Effects.Select(e => (Bind(e.Command).Settings.GetType(), e.Option)).ToHashSet();
        var missing = new List<string>();
        foreach (var invocation in Invocations)
        {
            var settings = Bind(invocation).Settings.GetType();
            foreach (string option in Options(settings))
            {
                if (GlobalOptions.Contains(option)) continue;   // Global_options_reach_every_command
                if (settings == typeof(ReproduceMnistSettings) && RefusedByMnist.Contains(option)) continue;
                if (!covered.Contains((settings, option))) missing.Add($"{string.Join(' ', invocation)} {option}");
            }
        }
        Assert.True(missing.Count == 0, "options without an effect test:\n" + string.Join("\n", missing));
        Assert.Equal(GlobalOptions.Order(), Options(typeof(DeviceSettings)).Order());
    }

    static string[] Without(string[] command, string option)
    {
        int i = Array.IndexOf(command, option);
        return i < 0 ? command : [.. command[..i], .. command[(i + 2)..]];
    }

    static IEnumerable<string> Options(Type settings) => settings.GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .SelectMany(p => p.GetCustomAttributes<CommandOptionAttribute>(inherit: true))
        .Select(a => "--" + a.LongNames[0]);

    static PropertyInfo? OptionProperty(Type settings, string option) => settings.GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .FirstOrDefault(p => p.GetCustomAttributes<CommandOptionAttribute>(inherit: true).Any(a => "--" + a.LongNames[0] == option));
}
