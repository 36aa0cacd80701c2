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
    }
}
