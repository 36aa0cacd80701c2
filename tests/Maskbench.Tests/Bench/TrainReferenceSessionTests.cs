using Maskbench.Bench;

namespace Maskbench.Tests.Bench;

/// <summary>
/// The training benchmarks' PyTorch side (reference/train_reference.py) as a session that takes one step per request,
/// so that the benchmark can alternate it with its own steps.
/// </summary>
public class TrainReferenceSessionTests
{
    static PythonSession Start()
    {
        // VGG-11 at width 1/16, batch 4, 32x32, 10 classes, one thread.
        var session = PythonReference.Start("train_reference.py", ["4", "32", "10", "1", "11", "0.0625", "3"], out var note);
        Skip.If(session is null && note is not null && (note.Contains("No module named") || note.Contains("not installed")), note);
        Assert.True(session is not null, note);
        return session!;
    }

    [SkippableFact]
    public void Answers_each_request_with_the_wall_time_of_each_step_it_ran()
    {
        using var session = Start();
        Assert.Equal(1, (int)session.Hello!["threads"]!);
        Assert.StartsWith("1.", session.Hello["torch"]!.ToString());
        var requests = new[] { ("fp32 natural 1", 1), ("fp32 pgd 2", 2), ("bf16 natural 3", 3), ("bf16 pgd 1", 1), ("fp32 natural 2", 2) };
        foreach (var (request, count) in requests)
        {
            string? answer = session.Request(request, out var note);
            Assert.True(answer is not null, note);
            var seconds = answer!.Split(' ').Select(t => double.Parse(t, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(count, seconds.Length);
            Assert.All(seconds, s => Assert.InRange(s, 1e-6, 60));
        }
    }

    [SkippableFact]
    public void An_unknown_request_ends_the_session_with_the_reason()
    {
        using var session = Start();
        Assert.Null(session.Request("fp16 natural 1", out var note));
        Assert.Contains("unknown request: fp16 natural 1", note);
        // The script has ended: a later request answers at once with the same reason, writing to no closed pipe.
        Assert.Null(session.Request("fp32 natural 1", out var again));
        Assert.Equal(note, again);
        Assert.Equal(note, session.Ended);
    }
}
