using System.Text.RegularExpressions;

namespace Maskbench.Experiments;

/// <summary>
/// Which cells of a plan to run (<c>--cells</c>): indices and ranges into the plan's order ("0,3-5", for a Slurm
/// array: <c>--cells $SLURM_ARRAY_TASK_ID</c>), or glob patterns over cell ids ("train/*", "eval/*masked*/pgd*"),
/// comma-separated. Empty means all.
/// </summary>
public sealed class CellSelection
{
    readonly List<Func<int, CellSpec, bool>> _terms = [];

    public static CellSelection All { get; } = new();

    public static CellSelection Parse(string? text)
    {
        var selection = new CellSelection();
        if (string.IsNullOrWhiteSpace(text)) return selection;
        foreach (string raw in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var range = Regex.Match(raw, @"^(\d+)(?:-(\d+))?$");
            if (range.Success)
            {
                int from = int.Parse(range.Groups[1].Value);
                int to = range.Groups[2].Success ? int.Parse(range.Groups[2].Value) : from;
                if (to < from) throw new MaskbenchException($"--cells: range '{raw}' ends before it starts");
                selection._terms.Add((i, _) => i >= from && i <= to);
            }
            else
            {
                var glob = new Regex("^" + Regex.Escape(raw).Replace(@"\*", ".*").Replace(@"\?", ".") + "$");
                selection._terms.Add((_, c) => glob.IsMatch(c.Id));
            }
        }
        return selection;
    }

    public bool Includes(int index, CellSpec cell) => _terms.Count == 0 || _terms.Any(t => t(index, cell));

    /// <summary>The selected cells with their plan indices; an error when a non-empty selection matches nothing.</summary>
    public IReadOnlyList<(int Index, CellSpec Cell)> Apply(IReadOnlyList<CellSpec> cells)
    {
        var chosen = cells.Select((c, i) => (i, c)).Where(x => Includes(x.i, x.c)).ToList();
        if (chosen.Count == 0)
            throw new MaskbenchException($"--cells matches none of the plan's {cells.Count} cells (indices 0-{cells.Count - 1}; ids such as "
                + $"{cells[0].Id})");
        return chosen;
    }
}
