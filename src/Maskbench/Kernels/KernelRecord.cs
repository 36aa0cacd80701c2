namespace Maskbench.Kernels;

/// <summary>The verdicts that computations used while this record was open (see <see cref="KernelChecks.Record"/>).</summary>
public sealed class KernelRecord : IDisposable
{
    readonly Dictionary<string, KernelVerdict> _verdicts = new(StringComparer.Ordinal);

    internal KernelRecord() { }

    internal void Add(KernelVerdict verdict)
    {
        lock (_verdicts) _verdicts.TryAdd(verdict.Subject + " @" + verdict.Route.Name, verdict);
    }

    public IReadOnlyList<KernelVerdict> Verdicts
    {
        get { lock (_verdicts) return _verdicts.Values.OrderBy(v => v.Subject, StringComparer.Ordinal).ToList(); }
    }

    /// <summary>What a result records of how it was computed.</summary>
    public KernelProvenance Provenance() => KernelProvenance.Of(Verdicts);

    public void Dispose() => KernelChecks.Forget(this);
}

/// <summary>One checked subject as a result records it.</summary>
/// <remarks>Errors are relative to the float64 reference's largest magnitude; null where the result held NaN.</remarks>
public sealed record KernelUse(string Subject, string Route, bool DirectPassed, double? DirectError, double? RouteError);

/// <summary>
/// How a result's convolutions were computed: the machine, libtorch, the policy, and for every shape used whether
/// libtorch's own kernel agreed with float64 and which route ran.
/// </summary>
public sealed record KernelProvenance(string Machine, string Policy, int Checked, int Rerouted, IReadOnlyList<KernelUse> Uses)
{
    public static KernelProvenance Of(IReadOnlyList<KernelVerdict> verdicts) => new(
        MachineFingerprint.Current().ToString(), KernelChecks.Name(KernelChecks.Policy), verdicts.Count, verdicts.Count(v => v.Rerouted),
        verdicts.Select(v => new KernelUse(v.Subject, v.Route.Name, v.Direct.Passed, Round(v.Direct.Worst), Round(v.Chosen.Worst))).ToList());

    /// <summary>The union of several results' provenance (a grid's cells), each subject and route once.</summary>
    public static KernelProvenance Merge(IEnumerable<KernelProvenance> parts)
    {
        var list = parts.ToList();
        var uses = list.SelectMany(p => p.Uses).GroupBy(u => (u.Subject, u.Route)).Select(g => g.First())
            .OrderBy(u => u.Subject, StringComparer.Ordinal).ToList();
        string machine = string.Join(" | ", list.Select(p => p.Machine).Distinct());
        string policy = string.Join(", ", list.Select(p => p.Policy).Distinct());
        return new KernelProvenance(machine, policy, uses.Count, uses.Count(u => u.Route != "direct"), uses);
    }

    static double? Round(double error) =>
        !double.IsFinite(error) ? null : error == 0 ? 0 : Math.Round(error, Math.Clamp(3 - (int)Math.Ceiling(Math.Log10(error)), 0, 15));

    /// <summary>One line: "12 convolution shapes checked, all on libtorch's own kernels" or "…, 2 rerouted (padded:3x16, float64)".</summary>
    public string Summary =>
        Checked == 0 ? "no convolution checked"
        : Rerouted == 0 ? $"{Checked} convolution shape{(Checked == 1 ? "" : "s")} checked against float64, all on libtorch's own kernels ({Policy})"
        : $"{Checked} convolution shape{(Checked == 1 ? "" : "s")} checked against float64, {Rerouted} rerouted "
        + $"({string.Join(", ", Uses.Where(u => u.Route != "direct").Select(u => u.Route).Distinct())}; policy {Policy})";
}
