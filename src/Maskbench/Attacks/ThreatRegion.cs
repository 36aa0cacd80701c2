using TorchSharp;
using static TorchSharp.torch;

namespace Maskbench.Attacks;

/// <summary>
/// Which pixels the adversary may change: every pixel, or only those of a foreground mask, the one the model sees or
/// the dataset's. The masks are named where the region is used (the evaluated model's mask source, or a pipeline's
/// mask of the clean image; the dataset's ground truth), and the chosen one reaches the attacks as
/// <see cref="ThreatModel.Mask"/> (<see cref="ThreatRegions.Mask"/>).
/// </summary>
[System.Text.Json.Serialization.JsonConverter(typeof(ThreatRegionJsonConverter))]
public enum ThreatRegion
{
    /// <summary>
    /// The model's own foreground (the paper's threat model: "the adversary is only given access to the foreground
    /// pixels"): the mask the model multiplies its input by, computed from the clean image (a predicted-mask
    /// pipeline's clean prediction, the random twin of the control), or the dataset's mask for a model without one.
    /// </summary>
    Foreground,
    /// <summary>The dataset's foreground mask, whatever mask the model sees (like-for-like with the oracle-mask models).</summary>
    TrueForeground,
    /// <summary>Every pixel.</summary>
    Full,
}

/// <summary>The one spelling of a <see cref="ThreatRegion"/> in files, cell keys and on the command line.</summary>
public static class ThreatRegions
{
    /// <summary>The spellings and what each means, for command-line help.</summary>
    public const string Help = "foreground (only the pixels of the mask the model sees, computed from the clean image; "
        + "the dataset's masks for a model without one), true-foreground (the dataset's masks) or full (every pixel).";

    public static string Spelling(this ThreatRegion region) => region switch
    {
        ThreatRegion.Foreground => "foreground",
        ThreatRegion.TrueForeground => "true-foreground",
        ThreatRegion.Full => "full",
        _ => throw new ArgumentOutOfRangeException(nameof(region)),
    };

    /// <summary>Every spelling, for messages: "foreground, true-foreground or full".</summary>
    public static string Spellings
    {
        get
        {
            var all = Enum.GetValues<ThreatRegion>().Select(Spelling).ToArray();
            return string.Join(", ", all[..^1]) + " or " + all[^1];
        }
    }

    public static bool TryParse(string text, out ThreatRegion region)
    {
        foreach (var r in Enum.GetValues<ThreatRegion>())
        {
            if (!string.Equals(r.Spelling(), text, StringComparison.OrdinalIgnoreCase)) continue;
            region = r;
            return true;
        }
        region = default;
        return false;
    }

    public static ThreatRegion Parse(string text) =>
        TryParse(text, out var region) ? region : throw new MaskbenchException($"unknown threat region '{text}' (expected {Spellings})");

    /// <summary>
    /// The threat model's mask of a batch (N x 1 x H x W, 0/1), or null for the full image: the model's own
    /// foreground (<paramref name="modelForeground"/>) or the dataset's (<paramref name="trueForeground"/>).
    /// </summary>
    public static Tensor? Mask(this ThreatRegion region, Tensor modelForeground, Tensor trueForeground) => region switch
    {
        ThreatRegion.Foreground => modelForeground,
        ThreatRegion.TrueForeground => trueForeground,
        ThreatRegion.Full => null,
        _ => throw new ArgumentOutOfRangeException(nameof(region)),
    };
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
