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
    public void Answers_each_request_with_the_wall_time_of_one_step_of_that_kind()
    {
        using var session = Start();
        Assert.Equal(1, (int)session.Hello!["threads"]!);
        Assert.StartsWith("1.", session.Hello["torch"]!.ToString());
        foreach (string request in new[] { "fp32 natural", "fp32 pgd", "bf16 natural", "bf16 pgd", "fp32 natural" })
        {
            string? answer = session.Request(request, out var note);
            Assert.True(answer is not null, note);
            double seconds = double.Parse(answer!, System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(seconds, 1e-6, 60);
        }
    }

    [SkippableFact]
    public void An_unknown_request_ends_the_session_with_the_reason()
    {
        using var session = Start();
        Assert.Null(session.Request("fp16 natural", out var note));
        Assert.Contains("unknown request: fp16 natural", note);
    }
}
