using System.Globalization;

namespace Maskbench.Cli.Commands;

/// <summary>Reads numbers written as decimals or fractions ("0.03", "8/255"), as the literature writes ε.</summary>
static class FractionOption
{
    public static double Parse(string text, string option)
    {
        string t = text.Trim();
        int slash = t.IndexOf('/');
        if (slash < 0)
        {
            if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v)) return v;
        }
        else if (double.TryParse(t[..slash], NumberStyles.Float, CultureInfo.InvariantCulture, out double num)
                 && double.TryParse(t[(slash + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out double den) && den != 0)
        {
            return num / den;
        }
        throw new MaskbenchException($"{option} {text}: expected a number such as 0.031 or a fraction such as 8/255");
    }
}
