using System.ComponentModel;
using Maskbench.Kernels;
using Maskbench.Runtime;
using Spectre.Console.Cli;

namespace Maskbench.Cli.Commands;

/// <summary>Options every command takes.</summary>
public class GlobalSettings : CommandSettings
{
    [CommandOption("-v|--verbose")]
    [Description("Print stack traces with errors.")]
    public bool Verbose { get; init; }

    [CommandOption("--threads <N>")]
    [Description("libtorch intra-op threads (default: one per core).")]
    public int Threads { get; init; }

    [CommandOption("--kernel-route <POLICY>")]
    [Description("Convolution kernels: auto (libtorch's own where it agrees with float64, else a route that does), reroute (never libtorch's own), float64. Default: MASKBENCH_KERNEL_ROUTE or auto.")]
    public string? KernelRoute { get; init; }

    [CommandOption("--progress <STYLE>")]
    [Description("How long work shows progress: auto (bars on a terminal, plain lines otherwise), bars, plain, or json (JSON lines on stderr: start, progress, end, info events).")]
    [DefaultValue("auto")]
    public string Progress { get; init; } = "auto";

    /// <summary>--progress as a style; an unknown name is a usage error.</summary>
    internal Rendering.ProgressStyle ProgressStyle => Progress.ToLowerInvariant() switch
    {
        "auto" => Rendering.ProgressStyle.Auto,
        "bars" => Rendering.ProgressStyle.Bars,
        "plain" => Rendering.ProgressStyle.Plain,
        "json" => Rendering.ProgressStyle.Json,
        _ => throw new MaskbenchException($"--progress {Progress}: expected auto, bars, plain or json"),
    };

    public override Spectre.Console.ValidationResult Validate() =>
        OptionRange.First(OptionRange.Integer(Threads, "--threads", 0, 1024), KernelRouteProblem());

    string? KernelRouteProblem()
    {
        try { if (KernelRoute is not null) KernelChecks.ParsePolicy(KernelRoute); return null; }
        catch (MaskbenchException e) { return "--kernel-route: " + e.Message; }
    }

    /// <summary>Applies --threads, --kernel-route and the allocator's thresholds (<see cref="NativeHeap"/>); call before tensor work.</summary>
    public void ApplyRuntime()
    {
        NativeHeap.RetainFreedMemory();
        TorchRuntime.EnsureLoaded();
        TorchRuntime.SetThreads(Threads);
        if (KernelRoute is not null) KernelChecks.Policy = KernelChecks.ParsePolicy(KernelRoute);
    }
}

/// <summary>Options of commands that run models.</summary>
public class DeviceSettings : GlobalSettings
{
    [CommandOption("--device <DEVICE>")]
    [Description("auto (CUDA when available), cpu, cuda or cuda:N.")]
    [DefaultValue("auto")]
    public string Device { get; init; } = "auto";
}
