using System.Text.Json.Nodes;
using Maskbench.Progress;

namespace Maskbench.Tests.Progress;

public class JsonLinesProgressTests
{
    /// <summary>
    /// Every line is one JSON object; a task of 1,000 single steps gives at most one progress line per whole percent
    /// (the interval is long enough not to add any), with done and fraction rising, and an end line with the final count.
    /// </summary>
    [Fact]
    public void LinesAreJsonThrottledToWholePercentsAndEndWithTheCount()
    {
        var text = new StringWriter();
        var sink = new JsonLinesProgress(text) { Interval = TimeSpan.FromHours(1) };
        sink.Info("hello \"world\"");
        using (var task = sink.Start("cells", 1000, "cells"))
        {
            for (int i = 0; i < 1000; i++) task.Advance();
            task.Describe("cells (loss 0.5)");
        }
        var events = text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.Equal("info", events[0]["event"]!.GetValue<string>());
        Assert.Equal("hello \"world\"", events[0]["message"]!.GetValue<string>());
        Assert.Equal("start", events[1]["event"]!.GetValue<string>());
        Assert.Equal(1000, events[1]["total"]!.GetValue<long>());
        var progress = events.Where(e => e["event"]!.GetValue<string>() == "progress").ToList();
        Assert.Equal(100, progress.Count);
        var done = progress.Select(e => e["done"]!.GetValue<long>()).ToList();
        Assert.Equal(Enumerable.Range(1, 100).Select(p => (long)p * 10), done);
        Assert.Equal(1.0, progress[^1]["fraction"]!.GetValue<double>());
        Assert.Equal("describe", events[^2]["event"]!.GetValue<string>());
        var end = events[^1];
        Assert.Equal("end", end["event"]!.GetValue<string>());
        Assert.Equal(1000, end["done"]!.GetValue<long>());
        Assert.Equal("cells (loss 0.5)", end["description"]!.GetValue<string>());
        Assert.All(events, e => Assert.NotNull(e["time"]));
    }
}
