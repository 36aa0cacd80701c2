using Maskbench.Progress;

namespace Maskbench.Tests.Experiments;

sealed class TraceProgress(string path) : IProgressSink, IProgressTask
{
    public IProgressTask Start(string description, long total, string unit = "items") { Info("start " + description); return this; }
    public void Info(string message) => File.AppendAllText(path, message + "\n");
    public void Advance(long units = 1) { }
    public void Describe(string description) { }
    public void Dispose() { }
}
