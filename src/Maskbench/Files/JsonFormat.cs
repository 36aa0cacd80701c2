using System.Text.Json;
using System.Text.Json.Serialization;

namespace Maskbench.Files;

/// <summary>
/// How the library writes JSON: one options object, and the few variants a file format needs, derived from it.
/// camelCase, indented, nulls left out, NaN and ±Infinity written as named literals (an accuracy with no examples is NaN).
/// </summary>
public static class JsonFormat
{
    /// <summary>Results, plans, cells, run.json, reports.</summary>
    public static readonly JsonSerializerOptions Options = Frozen(new JsonSerializerOptions
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    });

    /// <summary>One record per line (metrics.jsonl).</summary>
    public static readonly JsonSerializerOptions Lines = Frozen(new JsonSerializerOptions(Options) { WriteIndented = false });

    /// <summary>Formats whose readers expect every property, null included (robustness reports, adversarial records).</summary>
    public static readonly JsonSerializerOptions WithNulls = Frozen(
        new JsonSerializerOptions(Options) { DefaultIgnoreCondition = JsonIgnoreCondition.Never });

    /// <summary>dataset.json, whose published format uses snake_case names.</summary>
    public static readonly JsonSerializerOptions SnakeCase = Frozen(
        new JsonSerializerOptions(Options) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower });

    static JsonSerializerOptions Frozen(JsonSerializerOptions options)
    {
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
