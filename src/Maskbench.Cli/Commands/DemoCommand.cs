using System.ComponentModel;
using Maskbench.Cli.Rendering;
using Maskbench.Experiments;
using Maskbench.Runtime;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Maskbench.Cli.Commands;

public sealed class DemoSettings : DeviceSettings
{
    [CommandOption("--out <DIR>")]
    [Description("Where the demo writes its images, dataset, grid and report (rerunning reuses what is there).")]
    [DefaultValue("maskbench-demo")]
    public string Out { get; init; } = "maskbench-demo";
}

/// <summary><c>maskbench demo</c>: synthetic GTSRB, graph-cut masks, the cpu grid and the report, in minutes.</summary>
sealed class DemoCommand : Command<DemoSettings>
{
    public override int Execute(CommandContext context, DemoSettings settings, CancellationToken cancellationToken)
    {
        var device = TorchRuntime.SelectDevice(settings.Device);
        var outcome = ConsoleProgress.Run(settings, sink => Demo.Run(settings.Out, new Demo.Settings(), device, sink));
        ReportSummary.Print(outcome.Grid.Results, outcome.Grid.Executed, outcome.Grid.Reused, outcome.ReportPath);
        AnsiConsole.WriteLine($"demo finished in {outcome.Elapsed.TotalMinutes:F1} min; open {Path.GetFullPath(outcome.ReportPath)}");
        return 0;
    }
}
