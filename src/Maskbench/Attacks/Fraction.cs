using System.Globalization;

namespace Maskbench.Attacks;

/// <summary>
/// Reads the numbers researchers write for ε and step sizes: decimals ("0.03"), fractions ("8/255"), and lists of them
/// ("0,2/255,4/255"). Used wherever the CLI or a configuration accepts an ε.
/// </summary>
public static class Fraction
{
    public static double Parse(string text)
    {
        if (!TryParse(text, out double value))
            throw new MaskbenchException($"'{text}' is not a number or fraction (expected forms like 0.03 or 8/255)");
        return value;
    }

    public static bool TryParse(string? text, out double value)
    {
        value = double.NaN;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var parts = text.Trim().Split('/');
        if (parts.Length > 2) return false;
        if (!double.TryParse(parts[0].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double numerator)) return false;
        double denominator = 1;
        if (parts.Length == 2 && (!double.TryParse(parts[1].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out denominator)
            || denominator == 0)) return false;
        value = numerator / denominator;
        return double.IsFinite(value);
    }

    /// <summary>A comma-separated list ("0,2/255,8/255").</summary>
    public static IReadOnlyList<double> ParseList(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Parse).ToArray();
}
