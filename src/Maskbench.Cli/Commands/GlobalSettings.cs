using System.ComponentModel;
using Maskbench.Kernels;
using Maskbench.Runtime;
using Spectre.Console.Cli;

namespace Maskbench.Cli.Commands;

/// <summary>Options every command takes.</summary>
public class GlobalSettings : CommandSettings
{
    /// <summary>Declared so that the parser accepts it and help lists it; <see cref="CliRunner"/> reads it from the raw
    /// arguments, since a failure while parsing comes before any settings are bound.</summary>
    [CommandOption("-v|--verbose")]
    [Description("Print stack traces with errors.")]
    public bool Verbose { get; init; }

    [CommandOption("--threads <N>")]
    [Description("Compute threads: libtorch's intra-op threads and the width of parallel loops such as segmentation (default: one per core).")]
    public int Threads { get; init; }

    [CommandOption("--kernel-route <POLICY>")]
    [Description("Convolution kernels: auto (libtorch's own where it agrees with float64, else a route that does), reroute (never libtorch's own), "
        + "float64. Default: MASKBENCH_KERNEL_ROUTE or auto.")]
    public string? KernelRoute { get; init; }

    [CommandOption("--progress <STYLE>")]
    [Description("How long work shows progress: auto (bars on a terminal, plain lines otherwise; the default), bars, plain, or json (JSON lines on "
        + "stderr: start, progress, end, info events).")]
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

    /// <summary>--kernel-route as a policy; null leaves the environment's (MASKBENCH_KERNEL_ROUTE) or auto.</summary>
    public KernelPolicy? KernelPolicy => KernelRoute is null ? null : KernelChecks.ParsePolicy(KernelRoute);

    /// <summary>
    /// Applies --threads, --kernel-route and the allocator's thresholds (<see cref="NativeHeap"/>). <see cref="RuntimeInterceptor"/>
    /// calls it once before every command; it does not load TorchSharp (commands that never touch a tensor stay fast).
    /// </summary>
    public void ApplyRuntime()
    {
        NativeHeap.RetainFreedMemory();
        ComputeThreads.Request(Threads);
        if (KernelPolicy is { } policy) KernelChecks.Policy = policy;
    }
}

/// <summary>Options of commands that run models.</summary>
public class DeviceSettings : GlobalSettings
{
    // No [DefaultValue] here or on GlobalSettings: on a branch's default command (reproduce) Spectre applies such
    // defaults after binding and overwrites the value given. The initializer is the default.
    [CommandOption("--device <DEVICE>")]
    [Description("auto (CUDA when available; the default), cpu, cuda or cuda:N.")]
    public string Device { get; init; } = "auto";
}
