using Maskbench.Cli.Commands;
using Spectre.Console.Cli;

namespace Maskbench.Cli;

/// <summary>Commands added by feature work (datasets, attacks, training, experiments); one line each.</summary>
static class CommandRegistry
{
    public static void Register(IConfigurator config)
    {
        config.AddBranch<ReproduceSettings>("reproduce", b => { b.SetDescription("Reproduce the paper's grid on a dataset (reproduce --data DIR --out DIR), or the MNIST binarization baseline (reproduce mnist)."); b.SetDefaultCommand<ReproduceCommand>(); b.AddCommand<Commands.ReproduceMnistCommand>("mnist").WithDescription("MNIST binarization baseline: plain and binarized CNN against PGD and BPDA (--idx DIR --out DIR)."); });
        config.AddCommand<MergeCommand>("merge").WithDescription("Combine cell results of several `reproduce` output folders and render the report.");
        config.AddCommand<DemoCommand>("demo").WithDescription("End to end in minutes: synthetic GTSRB, graph-cut masks, the cpu grid and the report.");
        config.AddCommand<ReportCommand>("report").WithDescription("Re-render report.md and report.html from a results.json.");
        config.AddBranch("build", b => b.AddCommand<BuildGtsrbCommand>("gtsrb").WithDescription("Segment a GTSRB root (real or synthetic) and write the dataset store."));
        config.AddBranch("masks", b => b.AddCommand<MasksEvaluateCommand>("evaluate").WithDescription("Judge graph-cut masks: IoU against true masks, ROI figures on real GTSRB, grabCut side by side."));
        config.AddBranch("synth", b => b.AddCommand<SynthGtsrbCommand>("gtsrb").WithDescription("Write a synthetic data set in the official GTSRB layout, with true masks."));
    }
}
