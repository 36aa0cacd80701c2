using Maskbench.Kernels;
using Maskbench.Runtime;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Maskbench.Cli.Commands;

/// <summary>`maskbench doctor`: versions, threads, devices, the libstdc++ fix, and libtorch's convolution kernels checked against float64.</summary>
sealed class DoctorCommand : Command<GlobalSettings>
{
    public override int Execute(CommandContext context, GlobalSettings settings, CancellationToken cancellationToken)
    {
        var table = new Table().AddColumn("what").AddColumn("value");
        foreach (var (key, value) in TorchRuntime.Describe()) table.AddRow(Markup.Escape(key), Markup.Escape(value));
        AnsiConsole.Write(table);

        var verdicts = KernelBattery.Run();
        var kernels = new Table().Title("convolution kernels against float64 (relative error; tolerance 1e-4 float32, 3e-2 bfloat16)")
            .AddColumn("shape").AddColumn(new TableColumn("forward").RightAligned()).AddColumn(new TableColumn("input grad").RightAligned())
            .AddColumn(new TableColumn("weight grad").RightAligned()).AddColumn("libtorch's own").AddColumn("route");
        static string E(double e) => double.IsNaN(e) ? "NaN" : e.ToString("0.0E+0");
        foreach (var v in verdicts)
            kernels.AddRow(Markup.Escape(v.Subject), E(v.Direct.Forward), E(v.Direct.InputGradient), E(v.Direct.WeightGradient),
                v.Direct.Passed ? "[green]right[/]" : "[red]WRONG[/]", Markup.Escape(v.Route.Name));
        AnsiConsole.Write(kernels);
        var provenance = KernelProvenance.Of(verdicts);
        int wrong = verdicts.Count(v => !v.Direct.Passed);
        // One plain line for logs (CI prints it).
        Console.WriteLine($"kernel check: {provenance.Machine}: libtorch's own kernel wrong for {wrong} of {verdicts.Count} shapes; " +
                          $"every shape has a route that agrees with float64 ({string.Join(", ", verdicts.Select(v => v.Route.Name).Distinct())}); " +
                          $"cache {KernelChecks.CacheDirectory}");
        return 0;
    }
}
