using Maskbench.Cli.Commands;
using Spectre.Console.Cli;

namespace Maskbench.Cli;

/// <summary>
/// Every command of the CLI, with its description and examples; <see cref="Register"/> is the whole command tree
/// (the tests read it to check that help lists every command and that every option reaches the library).
/// </summary>
static class CommandRegistry
{
    /// <summary>
    /// The application: this tree, the runtime settings applied once before any command, failures propagated to <see cref="CliRunner"/>.
    /// </summary>
    public static CommandApp App(ICommandInterceptor? interceptor = null)
    {
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("maskbench");
            config.PropagateExceptions();
            config.SetInterceptor(interceptor ?? new RuntimeInterceptor());
            Register(config);
        });
        return app;
    }

    public static void Register(IConfigurator config)
    {
        config.AddCommand<DoctorCommand>("doctor")
            .WithDescription("Print .NET, TorchSharp and libtorch versions, threads, devices and the libstdc++ fix state.");
        config.AddCommand<InfoCommand>("info")
            .WithDescription("Print a dataset's manifest: sizes, per-class counts (the paper's Table 1 form), parameters, hashes.")
            .WithExample("info", "out/gtsrb-ic");
        config.AddCommand<PreviewCommand>("preview")
            .WithDescription("Draw a PNG grid of a dataset's images, their masks and the masked images.")
            .WithExample("preview", "out/gtsrb-ic", "--out", "grid.png");
        config.AddCommand<BenchCommand>("bench")
            .WithDescription("Run named benchmarks (all when none is named); prints a table and writes JSON.")
            .WithExample("bench", "npy-read", "matmul", "--out", "bench.json");
        config.AddBranch<ReproduceSettings>("reproduce", b =>
        {
            b.SetDescription("Reproduce the paper's grid on a dataset (reproduce --data DIR --out DIR), "
                + "or the MNIST binarization baseline (reproduce mnist).");
            b.SetDefaultCommand<ReproduceCommand>();
            b.AddCommand<ReproduceMnistCommand>("mnist")
                .WithDescription("MNIST binarization baseline: plain and binarized CNN against PGD and BPDA (--idx DIR --out DIR).");
        });
        config.AddCommand<MergeCommand>("merge")
            .WithDescription("Combine cell results of several `reproduce` output folders and render the report.");
        config.AddCommand<DemoCommand>("demo")
            .WithDescription("End to end in minutes: synthetic GTSRB, graph-cut masks, the cpu grid and the report.");
        config.AddCommand<ReportCommand>("report")
            .WithDescription("Re-render report.md and report.html from a results.json.");
        config.AddBranch("build", b =>
        {
            b.SetDescription("Build a dataset folder (images, masks, labels) from GTSRB or COCO sources.");
            b.AddCommand<BuildGtsrbCommand>("gtsrb")
                .WithDescription("Segment a GTSRB root (real or synthetic) and write the dataset store.");
            b.AddCommand<BuildCocoCommand>("coco")
                .WithDescription("MS-COCO-IC: one square crop per object of the kept classes, other objects blacked out, into a dataset folder.");
        });
        config.AddBranch("masks", b =>
        {
            b.SetDescription("Judge foreground masks.");
            b.AddCommand<MasksEvaluateCommand>("evaluate")
                .WithDescription("Judge graph-cut masks: IoU against true masks, ROI figures on real GTSRB, grabCut side by side.");
        });
        config.AddBranch("synth", b =>
        {
            b.SetDescription("Write synthetic data in an official format (GTSRB layout, COCO JSON) for tests and demos.");
            b.AddCommand<SynthGtsrbCommand>("gtsrb")
                .WithDescription("Write a synthetic data set in the official GTSRB layout, with true masks.");
            b.AddCommand<SynthCocoCommand>("coco")
                .WithDescription("Write a small synthetic COCO dataset: JPEG scenes with overlapping objects, polygons, crowd RLE "
                    + "and compressed RLE.");
        });
        config.AddBranch("coco", b =>
        {
            b.SetDescription("COCO annotation tools.");
            b.AddCommand<CocoMasksCommand>("masks")
                .WithDescription("Decode every COCO annotation as the COCO API does; write id, area, box and compressed RLE per line.");
        });
        config.AddCommand<AttackCommand>("attack")
            .WithDescription($"Robust accuracy of a model on a dataset split under an attack ({Maskbench.Attacks.AttackRegistry.NameList}), "
                + "optionally over an ε sweep.");
        config.AddCommand<TrainMaskerCommand>("train-masker")
            .WithDescription("Train a U-Net foreground-mask predictor (natural or PGD) on a dataset's masks; reports test IoU per class.");
        config.AddCommand<AttackPipelineCommand>("attack-pipeline")
            .WithDescription("A predicted-mask pipeline (masker + masked classifier) under non-adaptive and adaptive attacks; "
                + "robust accuracy is the worst case per example.");
        config.AddCommand<TrainCommand>("train")
            .WithDescription("Train a classifier (natural, PGD, fast or free adversarial training) on a dataset, plain or masked.");
        config.AddCommand<ExportCommand>("export")
            .WithDescription("Export a run's weights as model.safetensors (PyTorch keys) and model.json.");
        config.AddCommand<ImportCommand>("import")
            .WithDescription("Import model.safetensors and model.json into a new run folder.");
    }
}
