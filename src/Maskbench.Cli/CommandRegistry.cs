using Spectre.Console.Cli;

namespace Maskbench.Cli;

/// <summary>Commands added by feature work (datasets, attacks, training, experiments); one line each.</summary>
static class CommandRegistry
{
    public static void Register(IConfigurator config)
    {
        config.AddCommand<Commands.AttackCommand>("attack").WithDescription("Robust accuracy of a model on a dataset split under an attack (pgd, apgd, square, suite), optionally over an ε sweep.");
    }
}
