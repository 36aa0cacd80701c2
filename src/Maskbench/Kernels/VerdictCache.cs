using System.Text.Json;
using System.Text.Json.Serialization;

namespace Maskbench.Kernels;

/// <summary>
/// Probe results on disk, one JSON file per <see cref="MachineFingerprint"/> (named by its hash), so a shape is probed
/// once per machine. Writes merge with what other processes wrote meanwhile and replace the file atomically; an
/// unreadable file is ignored (and rewritten), an unwritable folder only costs the probes again next time.
/// </summary>
internal sealed class VerdictCache
{
    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() } };

    readonly string _path;
    readonly MachineFingerprint _fingerprint;
    readonly Dictionary<(ConvolutionShape, string), ProbeResult> _results = [];

    public VerdictCache(string folder, MachineFingerprint fingerprint)
    {
        _fingerprint = fingerprint;
        _path = Path.Combine(folder, $"{fingerprint.Hash}.json");
        foreach (var entry in Read()) _results[(entry.Shape, entry.Result.Route)] = entry.Result;
    }

    public string FilePath => _path;

    public ProbeResult GetOrProbe(ConvolutionShape shape, ConvolutionRoute route)
    {
        if (_results.TryGetValue((shape, route.Name), out var known)) return known;
        var result = ConvolutionProbe.Run(shape, route);
        _results[(shape, route.Name)] = result;
        Save();
        return result;
    }

    sealed record Entry(ConvolutionShape Shape, ProbeResult Result);
    sealed record FileContent(MachineFingerprint Fingerprint, List<Entry> Probes);

    List<Entry> Read()
    {
        try
        {
            if (!File.Exists(_path)) return [];
            var content = JsonSerializer.Deserialize<FileContent>(File.ReadAllText(_path), Json);
            return content is not null && content.Fingerprint == _fingerprint ? content.Probes ?? [] : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or NotSupportedException) { return []; }
    }

    void Save()
    {
        string? temp = null;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
            foreach (var entry in Read()) _results.TryAdd((entry.Shape, entry.Result.Route), entry.Result);
            var probes = _results.Select(kv => new Entry(kv.Key.Item1, kv.Value)).OrderBy(e => e.Shape.ToString(), StringComparer.Ordinal)
                .ThenBy(e => e.Result.Route, StringComparer.Ordinal).ToList();
            temp = $"{_path}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
            File.WriteAllText(temp, JsonSerializer.Serialize(new FileContent(_fingerprint, probes), Json));
            File.Move(temp, _path, overwrite: true);
            temp = null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        finally
        {
            if (temp is not null && File.Exists(temp)) File.Delete(temp);
        }
    }
}
