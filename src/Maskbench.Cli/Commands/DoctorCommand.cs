using Maskbench.Runtime;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Maskbench.Cli.Commands;

sealed class DoctorCommand : Command<GlobalSettings>
{
    public override int Execute(CommandContext context, GlobalSettings settings, CancellationToken cancellationToken)
    {
        settings.ApplyRuntime();
        var table = new Table().AddColumn("what").AddColumn("value");
        foreach (var (key, value) in TorchRuntime.Describe()) table.AddRow(Markup.Escape(key), Markup.Escape(value));
        AnsiConsole.Write(table);
        return 0;
    }
}
