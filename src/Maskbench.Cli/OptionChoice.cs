namespace Maskbench.Cli;

/// <summary>Options whose value names a member of an enum (case-insensitive); anything else is refused in one line.</summary>
static class OptionChoice
{
    public static T Parse<T>(string text, string option) where T : struct, Enum =>
        Enum.TryParse<T>(text, ignoreCase: true, out var value) && Enum.IsDefined(value) && !int.TryParse(text, out _)
            ? value
            : throw new MaskbenchException($"{option} {text}: expected one of {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}");
}
