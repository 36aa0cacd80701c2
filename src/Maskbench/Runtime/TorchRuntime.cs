using System.Reflection;
using System.Runtime.InteropServices;
using TorchSharp;

namespace Maskbench.Runtime;

/// <summary>
/// Loads TorchSharp once, turns a failure to load into one actionable line, and picks the compute device.
/// Every entry point that touches tensors calls <see cref="EnsureLoaded"/> first.
/// </summary>
public static class TorchRuntime
{
    static readonly object Gate = new();
    static volatile bool _loaded;

    public static void EnsureLoaded()
    {
        if (_loaded) return;
        lock (Gate)
        {
            if (_loaded) return;
            try
            {
                using var probe = torch.ones(2, 2).matmul(torch.ones(2, 2));
                if (probe.sum().item<float>() != 8f) throw new InvalidOperationException("a 2x2 matmul gave a wrong result");
            }
            catch (Exception e)
            {
                throw new MaskbenchException("TorchSharp could not load: " + RootCause(e) + ". " + Advice());
            }
            _loaded = true;
        }
        ApplyThreads();
    }

    // TorchSharp's own message carries its whole probing trace; the first sentence says what failed.
    static string RootCause(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        string text = e.Message.ReplaceLineEndings(" ").Trim();
        int stop = text.IndexOf(". ", StringComparison.Ordinal);
        if (stop > 0) text = text[..stop];
        return text.Length > 200 ? text[..200] + "…" : text;
    }

    static string Advice()
    {
        var lib = FindLibTorchSharp();
        if (lib is null) return "libLibTorchSharp.so is not beside the program; rebuild with `dotnet build` (see docs/torchsharp.md)";
        var state = SafeInspect(lib);
        return state == ElfWeakLinkState.Strong
            ? $"{lib} still needs GLIBCXX_3.4.32, which this system's libstdc++ lacks; rebuild with `dotnet build` so the build patches it (see "
            + "docs/torchsharp.md)"
            : "see docs/torchsharp.md";
    }

    /// <summary>The libLibTorchSharp.so next to the running program, if any.</summary>
    public static string? FindLibTorchSharp()
    {
        string baseDir = AppContext.BaseDirectory;
        foreach (var rel in new[] { "runtimes/linux-x64/native/libLibTorchSharp.so", "libLibTorchSharp.so", "cpu/libLibTorchSharp.so" })
        {
            string p = Path.Combine(baseDir, rel);
            if (File.Exists(p)) return p;
        }
        return null;
    }

    public static ElfWeakLinkState? SafeInspect(string lib)
    {
        try { return ElfWeakLink.Inspect(File.ReadAllBytes(lib), lib); }
        catch (IOException) { return null; }
        catch (InvalidDataException) { return null; }
    }

    /// <summary>
    /// Resolves a device name: "auto" (or null) is CUDA when present, else CPU; "cpu", "cuda" and "cuda:N" are taken
    /// as given, and asking for CUDA where there is none is an error.
    /// </summary>
    public static torch.Device SelectDevice(string? requested)
    {
        EnsureLoaded();
        string r = string.IsNullOrWhiteSpace(requested) ? "auto" : requested.Trim().ToLowerInvariant();
        if (r == "auto") return torch.cuda.is_available() ? torch.CUDA : torch.CPU;
        if (r == "cpu") return torch.CPU;
        if (r.StartsWith("cuda", StringComparison.Ordinal))
        {
            if (!torch.cuda.is_available())
                throw new MaskbenchException($"--device {requested}: CUDA is not available (this build uses TorchBackend={BuildBackend}; see "
                    + "docs/torchsharp.md)");
            return new torch.Device(r);
        }
        throw new MaskbenchException($"--device {requested}: expected auto, cpu, cuda or cuda:N");
    }

    /// <summary>Gives libtorch the <see cref="ComputeThreads"/> budget, once it is loaded (no budget leaves its default: one per core).</summary>
    internal static void ApplyThreads()
    {
        int threads = ComputeThreads.Requested;
        if (_loaded && threads > 0 && torch.get_num_threads() != threads) torch.set_num_threads(threads);
    }

    public static string BuildBackend =>
        typeof(TorchRuntime).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "TorchBackend")?.Value ?? "cpu";

    public static string TorchSharpVersion =>
        typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(torch).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>Facts for `maskbench doctor` and benchmark records.</summary>
    public static IReadOnlyList<(string Key, string Value)> Describe()
    {
        EnsureLoaded();
        var rows = new List<(string, string)>
        {
            (".NET", RuntimeInformation.FrameworkDescription),
            ("OS", RuntimeInformation.OSDescription + " " + RuntimeInformation.ProcessArchitecture),
            ("TorchSharp", TorchSharpVersion),
            ("libtorch", torch.__version__),
            ("build backend", BuildBackend),
            ("threads (intra-op)", torch.get_num_threads().ToString()),
            ("logical cores", Environment.ProcessorCount.ToString()),
            ("CUDA", torch.cuda.is_available() ? $"available, {torch.cuda.device_count()} device(s)" : "not available"),
            ("default device", SelectDevice("auto").ToString()),
            ("native heap", NativeHeap.Describe()),
        };
        string? libstdcxx = ElfWeakLink.FindSystemLibStdCxx();
        bool hasVersion = libstdcxx is not null && ElfWeakLink.LibStdCxxHasVersion(libstdcxx);
        rows.Add(("system libstdc++", libstdcxx is null ? "not found" : $"{libstdcxx} ({(hasVersion ? "has" : "lacks")} {ElfWeakLink.VersionName})"));
        string? lib = FindLibTorchSharp();
        string fix = lib is null ? "no libLibTorchSharp.so beside the program"
            : SafeInspect(lib) switch
            {
                ElfWeakLinkState.Weak => $"active: {ElfWeakLink.VersionName} weak in {lib}",
                ElfWeakLinkState.Strong => hasVersion ? "not needed (libstdc++ is new enough)" : "NOT applied",
                ElfWeakLinkState.NotNeeded => "not needed (library has no such need)",
                _ => "could not read " + lib,
            };
        rows.Add(("libstdc++ fix", fix));
        return rows;
    }
}
