namespace Maskbench;

/// <summary>
/// An error a user can act on: the message names the file (and line or record) and says what was expected.
/// The CLI prints <see cref="Exception.Message"/> on one line and exits non-zero; anything else is a bug.
/// </summary>
public class MaskbenchException : Exception
{
    public MaskbenchException(string message) : base(message) { }
    public MaskbenchException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>A malformed input file: which file, where in it (line, record or byte), and what is wrong.</summary>
public sealed class DataFormatException : MaskbenchException
{
    public string FilePath { get; }
    public string? Location { get; }

    public DataFormatException(string filePath, string problem, string? location = null, Exception? inner = null)
        : base(Format(filePath, problem, location), inner ?? new Exception(problem))
    {
        FilePath = filePath;
        Location = location;
    }

    static string Format(string file, string problem, string? location) =>
        location is null ? $"{file}: {problem}" : $"{file}, {location}: {problem}";
}
