namespace Maskbench.Progress;

/// <summary>
/// Where long-running library work reports progress. The library never writes to the console itself: the CLI
/// renders tasks as Spectre.Console bars (rate, ETA) on a terminal and as plain lines elsewhere; tests pass
/// <see cref="NullProgress"/>.
/// </summary>
public interface IProgressSink
{
    /// <summary>Starts a task of <paramref name="total"/> units (images, steps, cells); dispose it when done.</summary>
    IProgressTask Start(string description, long total, string unit = "items");

    /// <summary>A line of information (a finished stage, a figure, a warning).</summary>
    void Info(string message);
}

public interface IProgressTask : IDisposable
{
    void Advance(long units = 1);
    /// <summary>Replaces the description (for example with the current loss).</summary>
    void Describe(string description);
}

public sealed class NullProgress : IProgressSink, IProgressTask
{
    public static readonly NullProgress Instance = new();
    public IProgressTask Start(string description, long total, string unit = "items") => this;
    public void Info(string message) { }
    public void Advance(long units = 1) { }
    public void Describe(string description) { }
    public void Dispose() { }
}
