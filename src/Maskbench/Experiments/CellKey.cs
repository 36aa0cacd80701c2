using System.Security.Cryptography;
using System.Text;

namespace Maskbench.Experiments;

/// <summary>
/// The cache key of a cell: SHA-256 over its parameters and its inputs' hashes (the dataset manifest's SHA-256; for
/// an evaluation also the trained checkpoint's SHA-256), written as sorted "name=value" lines so that the key does
/// not depend on dictionary order, culture or the machine. Any change to a parameter or an input changes the key,
/// so a cached result is reused only for exactly the same work. 20 hex digits (80 bits) keep file names short.
/// </summary>
public static class CellKey
{
    public static string Compute(IReadOnlyDictionary<string, string> parameters, IReadOnlyDictionary<string, string> inputs)
    {
        var text = new StringBuilder("maskbench-cell/1\n");
        foreach (var (k, v) in parameters.OrderBy(p => p.Key, StringComparer.Ordinal)) Append(text, "p", k, v);
        foreach (var (k, v) in inputs.OrderBy(p => p.Key, StringComparer.Ordinal)) Append(text, "i", k, v);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..20];
    }

    static void Append(StringBuilder text, string section, string key, string value)
    {
        // Lengths make the encoding unambiguous even if a value contains '=' or a newline.
        text.Append(section).Append(' ').Append(key.Length).Append(':').Append(key)
            .Append('=').Append(value.Length).Append(':').Append(value).Append('\n');
    }

    public static string FileSha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
