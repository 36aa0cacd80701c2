using System.ComponentModel;
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

    public override Spectre.Console.ValidationResult Validate() => OptionRange.First(OptionRange.Integer(Threads, "--threads", 0, 1024));

    /// <summary>Applies --threads and the allocator's thresholds (<see cref="NativeHeap"/>); call before tensor work.</summary>
    public void ApplyRuntime()
    {
        NativeHeap.RetainFreedMemory();
        TorchRuntime.EnsureLoaded();
        TorchRuntime.SetThreads(Threads);
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
