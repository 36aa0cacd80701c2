using Maskbench.Runtime;
using static TorchSharp.torch;

namespace Maskbench.Tests.Runtime;

/// <summary>Process-wide allocator settings; page-fault counts are process-wide too, so nothing may run beside these.</summary>
[Collection(ProcessWideGcCollection.Name)]
public class NativeHeapTests
{
    [SkippableFact]
    public void Glibc_accepts_the_thresholds_once_per_process()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the thresholds are glibc's (mallopt)");
        Assert.True(NativeHeap.RetainFreedMemory(), "glibc refused the thresholds");
        Assert.True(NativeHeap.RetainFreedMemory());
        Assert.StartsWith("keeps up to 512 MiB freed", NativeHeap.Describe());
    }

    [SkippableFact]
    public void The_cli_reuses_freed_activation_sized_blocks_instead_of_faulting_in_fresh_pages()
    {
        // A fresh process, as a user runs it: with glibc's defaults every round of four freed 16 MiB blocks comes back
        // on fresh pages (about 1 fault per page, measured); with the CLI's thresholds the pages are reused.
        Skip.IfNot(OperatingSystem.IsLinux(), "the thresholds are glibc's (mallopt)");
        var (code, stdout, stderr) = Maskbench.Tests.Cli.CliProcess.Run("doctor");
        Assert.True(code == 0, stderr);
        var match = System.Text.RegularExpressions.Regex.Match(stdout.ReplaceLineEndings(" "), @"allocated\s+again:\s+([0-9.]+)");
        Assert.True(match.Success, stdout);
        double faults = double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(faults < 0.5, $"{faults} page faults per reused page");
    }
}
