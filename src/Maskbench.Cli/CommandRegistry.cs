using Spectre.Console.Cli;

namespace Maskbench.Cli;

/// <summary>Commands added by feature work (datasets, attacks, training, experiments); one line each.</summary>
static class CommandRegistry
{
    public static void Register(IConfigurator config)
    {
        config.AddCommand<Commands.TrainCommand>("train").WithDescription("Train a classifier (natural, PGD, fast or free adversarial training) on a dataset, plain or masked.");
        config.AddCommand<Commands.ExportCommand>("export").WithDescription("Export a run's weights as model.safetensors (PyTorch keys) and model.json.");
        config.AddCommand<Commands.ImportCommand>("import").WithDescription("Import model.safetensors and model.json into a new run folder.");
    }
}
