using System.Collections.Concurrent;

namespace Maskbench.Kernels;

/// <summary>Which routes a kernel check may choose.</summary>
public enum KernelPolicy
{
    /// <summary>libtorch's own kernel where it agrees with float64; otherwise the cheapest route that does.</summary>
    Auto,

    /// <summary>
    /// Never libtorch's own kernel: every convolution takes the cheapest other route that agrees with float64 (to compare results with and without
    /// rerouting).
    /// </summary>
    Reroute,

    /// <summary>Every convolution in float64 (slow; the reference itself).</summary>
    Float64,
}

/// <summary>
/// The outcome of checking one subject (a convolution shape, or a whole TorchScript model): libtorch's own result, and the route chosen.
/// </summary>
public sealed record KernelVerdict(string Subject, ProbeResult Direct, ConvolutionRoute Route, ProbeResult Chosen)
{
    public bool Rerouted => Route is not ConvolutionRoute.Direct;
}

/// <summary>
/// Verifies libtorch's CPU convolution kernels before their results are used, and routes around wrong ones.
/// <para>
/// Why: libtorch 2.10's oneDNN computed the input gradient of 3x3 convolutions wrongly on one machine of this project's
/// kind (AMD EPYC family 26: output channels not a multiple of 16, batch of 2 or more; relative errors 0.5–0.9, sometimes
/// NaN), which made attacks weaker and robust accuracy too high, silently. A machine whose kernels are right says
/// nothing about another's, so every process checks the shapes it runs.
/// </para>
/// <para>
/// How: the first time a process meets a convolution shape (<see cref="ConvolutionShape"/>), <see cref="ConvolutionProbe"/>
/// compares libtorch's forward pass, input gradient and weight gradient with float64 on a small random problem. If they
/// agree the call runs as it is; if not, the first route that agrees is chosen: zero-padded channels (the kernels of a
/// shape that passed), then float64. Shapes on which matrix products on the unfolded input are the faster way, for all
/// three results or for the weight gradient (<see cref="UnfoldedConvolution.FasterRoute"/>), take that route first,
/// where it agrees. Probe results are cached on
/// disk per <see cref="MachineFingerprint"/>, so each shape costs its milliseconds once per machine. Every verdict
/// used is recorded (<see cref="Record"/>) so results can say how they were computed.
/// </para>
/// </summary>
public static class KernelChecks
{
    /// <summary>Environment variable choosing the <see cref="KernelPolicy"/>: auto (default), reroute or float64.</summary>
    public const string PolicyVariable = "MASKBENCH_KERNEL_ROUTE";

    /// <summary>Environment variable naming the folder of the verdict cache (default ~/.cache/maskbench/kernels).</summary>
    public const string CacheVariable = "MASKBENCH_KERNEL_CACHE";

    static readonly object Gate = new();
    static readonly ConcurrentDictionary<(ConvolutionShape, bool WeightGradient, KernelPolicy, SimulatedKernelFault), KernelVerdict> Decided = new();
    // The records open in this logical flow of control (a thread, and the tasks it starts): a computation's verdicts reach
    // the records of the computation that opened them, never those of another running beside it in the same process.
    static readonly AsyncLocal<System.Collections.Immutable.ImmutableList<KernelRecord>?> Recorders = new();
    static VerdictCache? _cache;
    static SimulatedKernelFault _fault = SimulatedFaults.FromEnvironment();
    static string _cacheDirectory = DefaultCacheDirectory();

    public static KernelPolicy Policy { get; set; } = ParsePolicy(Environment.GetEnvironmentVariable(PolicyVariable));

    /// <summary>A simulated wrong kernel (for tests and drills); part of the fingerprint, so its verdicts are cached apart.</summary>
    public static SimulatedKernelFault Fault
    {
        get => _fault;
        set { lock (Gate) { _fault = value; _cache = null; } }
    }

    public static string CacheDirectory
    {
        get => _cacheDirectory;
        set { lock (Gate) { _cacheDirectory = value; _cache = null; } }
    }

    public static KernelPolicy ParsePolicy(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => KernelPolicy.Auto,
        "reroute" => KernelPolicy.Reroute,
        "float64" => KernelPolicy.Float64,
        _ => throw new MaskbenchException($"kernel route '{name}': expected auto, reroute or float64"),
    };

    public static string Name(KernelPolicy policy) => policy.ToString().ToLowerInvariant();

    /// <summary>
    /// The verdict for <paramref name="shape"/> under the current policy: from memory, the disk cache, or a probe.
    /// <paramref name="weightGradient"/>: whether the call computes the weight's gradient (training), which decides where
    /// the unfolded routes are the faster (<see cref="UnfoldedConvolution.FasterRoute"/>); every route is probed on all
    /// three results either way.
    /// </summary>
    public static KernelVerdict For(ConvolutionShape shape, bool weightGradient = false)
    {
        if (TrustUnchecked) return Unchecked;
        var key = (shape, weightGradient, Policy, Fault);
        if (Decided.TryGetValue(key, out var verdict)) return verdict;
        lock (Gate)
        {
            if (Decided.TryGetValue(key, out verdict)) return verdict;
            verdict = Decide(shape, key.Policy, weightGradient);
            Decided[key] = verdict;
            return verdict;
        }
    }

    /// <summary>Tests only: skip every check and run libtorch's own kernel, to show what a wrong one does.</summary>
    internal static bool TrustUnchecked { get; set; }

    static readonly ProbeResult NotProbed = new("direct", double.NaN, double.NaN, double.NaN, 0, 0);
    static readonly KernelVerdict Unchecked = new("unchecked", NotProbed, ConvolutionRoute.Direct.Instance, NotProbed);

    /// <summary>Forgets the verdicts decided in this process (the disk cache stays); for tests that change policy or fault.</summary>
    public static void Reset()
    {
        lock (Gate)
        {
            Decided.Clear();
            _cache = null;
        }
    }

    static KernelVerdict Decide(ConvolutionShape shape, KernelPolicy policy, bool weightGradient)
    {
        var cache = _cache ??= new VerdictCache(CacheDirectory, MachineFingerprint.Current());
        ProbeResult Probe(ConvolutionRoute route) => cache.GetOrProbe(shape, route);
        var direct = Probe(ConvolutionRoute.Direct.Instance);
        // Where matrix products on the unfolded input are the faster way (small maps, many channels), they run if they agree.
        if (policy == KernelPolicy.Auto && UnfoldedConvolution.FasterRoute(shape, weightGradient) is { } faster)
        {
            var result = Probe(faster);
            if (result.Passed) return new(shape.ToString(), direct, faster, result);
        }
        if (policy == KernelPolicy.Auto && direct.Passed) return new(shape.ToString(), direct, ConvolutionRoute.Direct.Instance, direct);
        if (policy != KernelPolicy.Float64)
            foreach (var padded in PaddingCandidates(shape, mustChange: policy == KernelPolicy.Reroute))
            {
                var result = Probe(padded);
                if (result.Passed) return new(shape.ToString(), direct, padded, result);
            }
        var float64 = Probe(ConvolutionRoute.Float64.Instance);
        if (float64.Passed) return new(shape.ToString(), direct, ConvolutionRoute.Float64.Instance, float64);
        throw new MaskbenchException(
            $"no convolution route agrees with float64 for {shape} (libtorch's own: worst relative error {direct.Worst:G3}; float64 route: "
                + $"{float64.Worst:G3}); refusing to compute with it (see docs/kernels.md)");
    }

    /// <summary>
    /// Channel paddings to try, cheapest first: output channels up to a multiple of 8, 16, 32 or 64 (wrong kernels were
    /// seen for counts that are not multiples of 16, or of 8 with AVX2 kernels), input channels up to a multiple of 4, 8
    /// or 16 (channels-last kernels failed with one input channel). Grouped convolutions cannot be padded this way.
    /// </summary>
    internal static IEnumerable<ConvolutionRoute.PaddedChannels> PaddingCandidates(ConvolutionShape shape, bool mustChange)
    {
        if (shape.Geometry.Groups != 1) return [];
        static int Up(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
        int cin = shape.InChannels, cout = shape.OutChannels;
        int[] inputs = [cin, Up(cin, 4), Up(cin, 8), Up(cin, 16)];
        int[] outputs = [Up(cout, 8), Up(cout, 16), Up(cout, 32), Up(cout, 64), Up(cout + 1, 16)];
        return inputs.Distinct().SelectMany(i => outputs.Distinct().Select(o => new ConvolutionRoute.PaddedChannels(i, o)))
            .Where(p => !mustChange || p.InChannels != cin || p.OutChannels != cout)
            .OrderBy(p => (long)p.InChannels * p.OutChannels).ThenBy(p => p.OutChannels)
            .Take(6).ToList();
    }

    /// <summary>
    /// Starts recording the verdicts that convolutions in this flow of control (this thread and the tasks it starts)
    /// use until the record is disposed (records nest and may overlap).
    /// </summary>
    public static KernelRecord Record()
    {
        var record = new KernelRecord();
        Recorders.Value = (Recorders.Value ?? []).Add(record);
        return record;
    }

    internal static void Forget(KernelRecord record)
    {
        if (Recorders.Value is { } open) Recorders.Value = open.Remove(record);
    }

    /// <summary>Notes that a computation used <paramref name="verdict"/>, for every record open in its flow of control.</summary>
    public static void NoteUse(KernelVerdict verdict)
    {
        if (Recorders.Value is not { } open) return;
        foreach (var record in open) record.Add(verdict);
    }

    static string DefaultCacheDirectory()
    {
        string? configured = Environment.GetEnvironmentVariable(CacheVariable);
        if (!string.IsNullOrWhiteSpace(configured)) return configured;
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string root = !string.IsNullOrWhiteSpace(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile),
            ".cache");
        return Path.Combine(root, "maskbench", "kernels");
    }
}
