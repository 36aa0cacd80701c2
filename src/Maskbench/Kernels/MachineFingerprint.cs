using System.Security.Cryptography;
using System.Text;
using TorchSharp;

namespace Maskbench.Kernels;

/// <summary>
/// What a kernel verdict depends on besides the shape: the processor (vendor, family, model, stepping, name, and its
/// instruction-set flags, which oneDNN dispatches on), the libtorch version, oneDNN's settings from the environment,
/// and a simulated fault if one is on. Verdicts are cached per fingerprint.
/// </summary>
public sealed record MachineFingerprint(string Processor, string Flags, string LibTorch, string OneDnnSettings, string SimulatedFault)
{
    public static MachineFingerprint Current()
    {
        var (processor, flags) = ReadCpuInfo();
        var settings = Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(k => k.StartsWith("ONEDNN_", StringComparison.Ordinal) || k.StartsWith("DNNL_", StringComparison.Ordinal))
            .Where(k => k is not ("ONEDNN_VERBOSE" or "DNNL_VERBOSE"))
            .Order(StringComparer.Ordinal).Select(k => $"{k}={Environment.GetEnvironmentVariable(k)}");
        return new MachineFingerprint(processor, flags, torch.__version__, string.Join(" ", settings), SimulatedFaults.Name(KernelChecks.Fault));
    }

    /// <summary>A short stable hash of the whole fingerprint, naming the cache file.</summary>
    public string Hash =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            $"{Processor}\n{Flags}\n{LibTorch}\n{OneDnnSettings}\n{SimulatedFault}")))[..16];

    public override string ToString() =>
        $"{Processor}; libtorch {LibTorch}" + (OneDnnSettings.Length > 0 ? $"; {OneDnnSettings}" : "") +
        (SimulatedFault != "none" ? $"; simulated fault {SimulatedFault}" : "");

    static (string Processor, string Flags) ReadCpuInfo()
    {
        const string path = "/proc/cpuinfo";
        if (!File.Exists(path)) return ($"{Environment.GetEnvironmentVariable("PROCESSOR_IDENTIFIER") ?? "unknown"} "
            + $"({System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture})", "");
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0) break;   // the first processor is enough: all cores of a machine are alike here
            int colon = line.IndexOf(':');
            if (colon > 0) fields.TryAdd(line[..colon].Trim(), line[(colon + 1)..].Trim());
        }
        string Get(string key) => fields.GetValueOrDefault(key, "?");
        string processor = $"{Get("vendor_id")} family {Get("cpu family")} model {Get("model")} stepping {Get("stepping")} ({Get("model name")})";
        return (processor, Get("flags"));
    }
}
