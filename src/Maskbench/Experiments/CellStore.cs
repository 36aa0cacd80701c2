using System.Text.Json;

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

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

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
        try
        {
            return JsonSerializer.Deserialize<CellResult>(File.ReadAllText(path), Json)
                ?? throw new DataFormatException(path, "empty cell result");
        }
        catch (JsonException e)
        {
            throw new DataFormatException(path, $"not a cell result: {e.Message} (delete the file to rerun the cell)",
                e.LineNumber is long l ? $"line {l + 1}" : null, e);
        }
    }
}
