namespace Maskbench.Attacks;

/// <summary>
/// Which pixels the adversary may change: every pixel, or only those of a foreground mask. Which mask is named where
/// the region is used (the evaluated model's mask source; the dataset's ground truth for a model without one), and its
/// tensor reaches the attacks as <see cref="ThreatModel.Mask"/>.
/// </summary>
[System.Text.Json.Serialization.JsonConverter(typeof(ThreatRegionJsonConverter))]
public enum ThreatRegion
{
    /// <summary>Only the foreground-mask pixels (the paper's threat model: "the adversary is only given access to the foreground pixels").</summary>
    Foreground,
    /// <summary>Every pixel.</summary>
    Full,
}

/// <summary>The one spelling of a <see cref="ThreatRegion"/> in files, cell keys and on the command line.</summary>
public static class ThreatRegions
{
    public static string Spelling(this ThreatRegion region) => region switch
    {
        ThreatRegion.Foreground => "foreground",
        ThreatRegion.Full => "full",
        _ => throw new ArgumentOutOfRangeException(nameof(region)),
    };

    public static ThreatRegion Parse(string text) =>
        Enum.GetValues<ThreatRegion>().Cast<ThreatRegion?>().FirstOrDefault(r => string.Equals(r!.Value.Spelling(), text, StringComparison.OrdinalIgnoreCase))
        ?? throw new MaskbenchException($"unknown threat region '{text}' (expected {string.Join(" or ", Enum.GetValues<ThreatRegion>().Select(Spelling))})");
}

/// <summary>Writes and reads a <see cref="ThreatRegion"/> by its one spelling.</summary>
public sealed class ThreatRegionJsonConverter : System.Text.Json.Serialization.JsonConverter<ThreatRegion>
{
    public override ThreatRegion Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options)
    {
        string text = reader.GetString() ?? throw new System.Text.Json.JsonException("a threat region must be a string");
        try { return ThreatRegions.Parse(text); }
        catch (MaskbenchException e) { throw new System.Text.Json.JsonException(e.Message); }
    }

    public override void Write(System.Text.Json.Utf8JsonWriter writer, ThreatRegion value, System.Text.Json.JsonSerializerOptions options) =>
        writer.WriteStringValue(value.Spelling());
}
