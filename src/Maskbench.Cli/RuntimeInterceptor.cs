using Maskbench.Cli.Commands;
using Spectre.Console.Cli;

namespace Maskbench.Cli;

/// <summary>Applies the options every command takes (<see cref="GlobalSettings.ApplyRuntime"/>) once, before any command runs.</summary>
sealed class RuntimeInterceptor : ICommandInterceptor
{
    public void Intercept(CommandContext context, CommandSettings settings)
    {
        if (settings is GlobalSettings global) global.ApplyRuntime();
    }
}
