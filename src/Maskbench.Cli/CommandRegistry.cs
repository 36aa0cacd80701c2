using Maskbench.Cli.Commands;
using Spectre.Console.Cli;

namespace Maskbench.Cli;

/// <summary>Commands added by feature work (datasets, attacks, training, experiments); one line each.</summary>
static class CommandRegistry
{
    public static void Register(IConfigurator config)
    {
        config.AddBranch("build", b => b.AddCommand<BuildGtsrbCommand>("gtsrb").WithDescription("Segment a GTSRB root (real or synthetic) and write the dataset store."));
        config.AddBranch("masks", b => b.AddCommand<MasksEvaluateCommand>("evaluate").WithDescription("Judge graph-cut masks: IoU against true masks, ROI figures on real GTSRB, grabCut side by side."));
        config.AddBranch("synth", b => b.AddCommand<SynthGtsrbCommand>("gtsrb").WithDescription("Write a synthetic data set in the official GTSRB layout, with true masks."));
        config.AddBranch("build", b => b.AddCommand<Commands.BuildCocoCommand>("coco").WithDescription("MS-COCO-IC: one square crop per object of the kept classes, other objects blacked out, into a dataset folder."));
        config.AddBranch("synth", b => b.AddCommand<Commands.SynthCocoCommand>("coco").WithDescription("Write a small synthetic COCO dataset: JPEG scenes with overlapping objects, polygons, crowd RLE and compressed RLE."));
        config.AddBranch("coco", b => b.AddCommand<Commands.CocoMasksCommand>("masks").WithDescription("Decode every COCO annotation as the COCO API does; write id, area, box and compressed RLE per line."));
        config.AddCommand<Commands.AttackCommand>("attack").WithDescription("Robust accuracy of a model on a dataset split under an attack (pgd, apgd, square, suite), optionally over an ε sweep.");
        config.AddCommand<Commands.TrainCommand>("train").WithDescription("Train a classifier (natural, PGD, fast or free adversarial training) on a dataset, plain or masked.");
        config.AddCommand<Commands.ExportCommand>("export").WithDescription("Export a run's weights as model.safetensors (PyTorch keys) and model.json.");
        config.AddCommand<Commands.ImportCommand>("import").WithDescription("Import model.safetensors and model.json into a new run folder.");
    }
}
