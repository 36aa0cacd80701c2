namespace Maskbench.Data.Coco;

/// <summary>
/// Which categories become classes: the N most frequent after exclusions (the paper drops `person`, "over
/// frequent", and keeps the top 10 of the rest, counted on the training split), or named categories.
/// </summary>
public sealed record CocoClassSelection(int? Top, IReadOnlyList<string> Names)
{
    public static CocoClassSelection TopN(int n) => new(n, []);
    public static CocoClassSelection Named(IReadOnlyList<string> names) => new(null, names);

    /// <summary>"top10" (any N) or comma-separated category names.</summary>
    public static CocoClassSelection Parse(string text)
    {
        text = text.Trim();
        if (text.StartsWith("top", StringComparison.OrdinalIgnoreCase) && int.TryParse(text.AsSpan(3), out int n))
        {
            if (n <= 0) throw new MaskbenchException($"--classes {text}: N must be positive");
            return TopN(n);
        }
        var names = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (names.Length == 0) throw new MaskbenchException("--classes needs 'topN' or category names separated by commas");
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Length) throw new MaskbenchException($"--classes {text} names a category twice");
        return Named(names);
    }

    public override string ToString() => Top is int n ? $"top{n}" : string.Join(",", Names);

    /// <summary>
    /// The N names with the most candidate samples, most frequent first; ties go to the smaller category id,
    /// then the name (so the choice is the same on every machine).
    /// </summary>
    public static List<string> MostFrequent(IReadOnlyDictionary<string, int> samplesPerCategory, IReadOnlyDictionary<string, int> categoryOrder,
        int n) =>
        samplesPerCategory.Where(p => p.Value > 0)
            .OrderByDescending(p => p.Value)
            .ThenBy(p => categoryOrder.GetValueOrDefault(p.Key, int.MaxValue))
            .ThenBy(p => p.Key, StringComparer.Ordinal)
            .Take(n).Select(p => p.Key).ToList();
}
