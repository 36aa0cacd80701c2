using Spectre.Console.Cli;

namespace Maskbench.Cli;

/// <summary>Commands added by feature work (datasets, attacks, training, experiments); one line each.</summary>
static class CommandRegistry
{
    public static void Register(IConfigurator config)
    {
        config.AddBranch("build", b => b.AddCommand<Commands.BuildCocoCommand>("coco").WithDescription("MS-COCO-IC: one square crop per object of the kept classes, other objects blacked out, into a dataset folder."));
        config.AddBranch("synth", b => b.AddCommand<Commands.SynthCocoCommand>("coco").WithDescription("Write a small synthetic COCO dataset: JPEG scenes with overlapping objects, polygons, crowd RLE and compressed RLE."));
        config.AddBranch("coco", b => b.AddCommand<Commands.CocoMasksCommand>("masks").WithDescription("Decode every COCO annotation as the COCO API does; write id, area, box and compressed RLE per line."));
    }
}
