using System.Globalization;
using Maskbench.Attacks;
using Spectre.Console;

namespace Maskbench.Cli;

/// <summary>
/// Range checks of numeric options at the command line's boundary. Each check returns null when the value is allowed,
/// else one line naming the option, the value given and the allowed range, so that a wrong number fails before any
/// work with exit code 2 instead of producing wrong figures or an internal error deep inside the library.
/// </summary>
static class OptionRange
{
    /// <summary>An integer in [min, max]; null (option not given) passes.</summary>
    public static string? Integer(int? value, string option, int min, int max = int.MaxValue) =>
        value is not int v || (v >= min && v <= max) ? null : $"{option} {v}: expected an integer {Describe(min, max)}";

    /// <summary>A real number in [min, max], or (min, max] when <paramref name="minExclusive"/>.</summary>
    public static string? Real(double? value, string option, double min, double max, bool minExclusive = false, bool maxExclusive = false) =>
        value is not double v || Within(v, min, max, minExclusive, maxExclusive) ? null
            : $"{option} {v.ToString("R", CultureInfo.InvariantCulture)}: expected a number in {Interval(min, max, minExclusive, maxExclusive)}";

    /// <summary>A number or fraction (8/255) in the interval; null text passes.</summary>
    public static string? Fraction(string? text, string option, double min, double max, bool minExclusive = false)
    {
        if (text is null) return null;
        if (!Attacks.Fraction.TryParse(text, out double v))
            return $"{option} {text}: expected a number such as 0.031 or a fraction such as 8/255, in {Interval(min, max, minExclusive, false)}";
        return Within(v, min, max, minExclusive, false) ? null : $"{option} {text}: expected a number in {Interval(min, max, minExclusive, false)}";
    }

    /// <summary>A comma-separated list of numbers or fractions, each in [min, max], at least one.</summary>
    public static string? FractionList(string? text, string option, double min, double max)
    {
        if (text is null) return null;
        var items = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (items.Length == 0) return $"{option} '{text}': expected a comma-separated list of numbers in {Interval(min, max, false, false)}";
        foreach (var item in items)
            if (Fraction(item, option, min, max) is string problem) return problem;
        return null;
    }

    /// <summary>The first problem found, as Spectre's validation result (exit code 2), or success.</summary>
    public static ValidationResult First(params string?[] problems) =>
        problems.FirstOrDefault(p => p is not null) is string problem ? ValidationResult.Error(problem) : ValidationResult.Success();

    static bool Within(double v, double min, double max, bool minExclusive, bool maxExclusive) =>
        double.IsFinite(v) && (minExclusive ? v > min : v >= min) && (maxExclusive ? v < max : v <= max);

    static string Describe(int min, int max) =>
        max == int.MaxValue ? $"of at least {min}" : $"in [{min}, {max}]";

    static string Interval(double min, double max, bool minExclusive, bool maxExclusive) =>
        $"{(minExclusive ? "(" : "[")}{min.ToString(CultureInfo.InvariantCulture)}, "
            + $"{max.ToString(CultureInfo.InvariantCulture)}{(maxExclusive ? ")" : "]")}";
}

/// <summary>
/// Splits <c>--option=value</c> into <c>--option value</c> before Spectre.Console parses the arguments (its parser
/// fails with an internal error on the '=' form for a branch's default command, such as <c>reproduce</c>).
/// Arguments after a bare <c>--</c> are left as they are.
/// </summary>
static class OptionArguments
{
    public static string[] Normalize(IReadOnlyList<string> args)
    {
        var result = new List<string>(args.Count + 4);
        bool passThrough = false;
        foreach (string arg in args)
        {
            if (passThrough || arg == "--") { passThrough = true; result.Add(arg); continue; }
            int equals = arg.IndexOf('=');
            if (arg.StartsWith("--", StringComparison.Ordinal) && equals > 2)
            {
                result.Add(arg[..equals]);
                result.Add(arg[(equals + 1)..]);
            }
            else result.Add(arg);
        }
        return result.ToArray();
    }
}
