using Maskbench.Attacks;

namespace Maskbench.Cli;

/// <summary>Options whose value names one of a fixed set (case-insensitive); anything else is refused in one line.</summary>
static class OptionChoice
{
    /// <summary>A member of <typeparamref name="T"/>, by its name.</summary>
    public static T Parse<T>(string text, string option) where T : struct, Enum =>
        Enum.TryParse<T>(text, ignoreCase: true, out var value) && Enum.IsDefined(value) && !int.TryParse(text, out _)
            ? value
            : throw new MaskbenchException(
                $"{option} {text}: expected one of {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}");

    /// <summary>A threat region, by its one spelling (<see cref="ThreatRegions.Spelling"/>).</summary>
    public static ThreatRegion Threat(string text, string option) =>
        ThreatRegions.TryParse(text, out var region)
            ? region
            : throw new MaskbenchException($"{option} {text}: expected {ThreatRegions.Spellings}");
}
