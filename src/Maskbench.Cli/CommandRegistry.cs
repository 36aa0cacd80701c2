using Spectre.Console.Cli;

namespace Maskbench.Cli;

/// <summary>Commands added by feature work (datasets, attacks, training, experiments); one line each.</summary>
static class CommandRegistry
{
    public static void Register(IConfigurator config)
    {
    }
}
