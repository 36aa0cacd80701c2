using System.Text.Json;
using Maskbench.Files;

namespace Maskbench.Experiments;

/// <summary>
/// The cache of finished cells: <c>OUT/cells/&lt;key&gt;.json</c>, each written atomically. A cell whose file
/// exists is finished; a killed grid leaves at most temporary files, which are ignored, so it resumes where it stopped.
/// </summary>
public sealed class CellStore
{
    public string OutFolder { get; }
    public string CellsFolder => Path.Combine(OutFolder, "cells");

    public CellStore(string outFolder) => OutFolder = Path.GetFullPath(outFolder);

    static JsonSerializerOptions Json => JsonFormat.Options;

    public string PathOf(string key) => Path.Combine(CellsFolder, key + ".json");

    /// <summary>The lock file of a cell (<see cref="CellLock"/>).</summary>
    public string LockPathOf(string key) => Path.Combine(OutFolder, "locks", key + ".lock");

    public bool TryLoad(string key, out CellResult result)
    {
        string path = PathOf(key);
        result = null!;
        if (!File.Exists(path)) return false;
        result = Read(path);
        return true;
    }

    public void Save(CellResult result) => AtomicFile.WriteAllText(PathOf(result.Key), JsonSerializer.Serialize(result, Json));

    public IEnumerable<CellResult> All() =>
        Directory.Exists(CellsFolder)
            ? Directory.EnumerateFiles(CellsFolder, "*.json").Order(StringComparer.Ordinal).Select(Read)
            : [];

    public static CellResult Read(string path)
    {
        CellResult result;
        try
        {
            result = JsonSerializer.Deserialize<CellResult>(File.ReadAllText(path), Json)
                ?? throw new DataFormatException(path, "empty cell result");
        }
        catch (JsonException e)
        {
            throw new DataFormatException(path, $"not a cell result: {e.Message} (delete the file to rerun the cell)",
                e.LineNumber is long l ? $"line {l + 1}" : null, e);
        }
        if (Problem(result) is string problem) throw new DataFormatException(path,
            $"not a valid cell result: {problem} (delete the file to rerun the cell)");
        return result;
    }

    /// <summary>What makes a parsed cell unusable by the report: a missing part or per-example arrays that disagree.</summary>
    static string? Problem(CellResult r)
    {
        if (r.Key.Length == 0 || r.Id.Length == 0) return "empty key or id";
        if (r.Parameters is null || r.Inputs is null) return "no parameters or inputs";
        if (r.Kind == CellSpec.Train)
        {
            if (r.Training is not { } t) return "a training cell without its training record";
            if (t.Checkpoint.Length == 0 || t.CheckpointSha256.Length != 64) return "the checkpoint path or SHA-256 is missing";
            if (t.Curve is null || t.Curve.Any(point => point is null)) return "the training curve has an empty entry";
            return null;
        }
        if (r.Evaluation is not { } e) return $"a cell of kind '{r.Kind}' without its evaluation record";
        int n = e.Correct.Length;
        if (e.Indices is null || e.Labels is null || e.ForegroundFractions is null) return "missing per-example arrays";
        if (e.Indices.Length != n || e.Labels.Length != n || e.ForegroundFractions.Length != n)
            return $"per-example arrays disagree in length ({e.Indices.Length} indices, {e.Labels.Length} labels, {e.ForegroundFractions.Length} "
                + $"fractions, {n} outcomes)";
        if (e.Correct.Any(c => c is not ('0' or '1'))) return "outcomes must be a string of 0 and 1";
        if (e.Indices.Any(i => i < 0) || e.Labels.Any(l => l < 0)) return "negative index or label";
        if (e.ForegroundFractions.Any(f => !(f >= 0 && f <= 1))) return "a foreground fraction outside [0, 1]";
        return null;
    }
}
