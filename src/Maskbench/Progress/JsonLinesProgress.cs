using System.Diagnostics;
using System.Text.Json;

namespace Maskbench.Progress;

/// <summary>
/// Progress as JSON lines, one object per line, for batch schedulers and notebooks: <c>start</c> (task id,
/// description, total, unit), <c>progress</c> (done, total, fraction, rate per second, elapsed and remaining seconds;
/// at most one line per task per whole percent or per <see cref="Interval"/>, whichever comes first), <c>describe</c>
/// (a new description), <c>end</c> (final counts) and <c>info</c> (a message). Every line carries <c>event</c> and
/// <c>time</c> (UTC, ISO 8601). Lines are flushed as written. Thread-safe.
/// </summary>
public sealed class JsonLinesProgress(TextWriter writer) : IProgressSink
{
    readonly object _gate = new();
    int _nextId;

    /// <summary>The longest time between two <c>progress</c> lines of a task that is advancing.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(5);

    public IProgressTask Start(string description, long total, string unit = "items")
    {
        var task = new JsonTask(this, Interlocked.Increment(ref _nextId), description, Math.Max(0, total), unit);
        Write(new() { ["event"] = "start", ["task"] = task.Id, ["description"] = description, ["total"] = task.Total, ["unit"] = unit });
        return task;
    }

    public void Info(string message) => Write(new() { ["event"] = "info", ["message"] = message });

    void Write(Dictionary<string, object?> fields)
    {
        fields["time"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);
        string line = JsonSerializer.Serialize(fields);
        lock (_gate)
        {
            writer.WriteLine(line);
            writer.Flush();
        }
    }

    sealed class JsonTask(JsonLinesProgress sink, int id, string description, long total, string unit) : IProgressTask
    {
        readonly Stopwatch _clock = Stopwatch.StartNew();
        long _done;
        long _lastPercent;
        double _lastSeconds;
        bool _ended;

        public int Id { get; } = id;
        public long Total { get; } = total;

        public void Advance(long units = 1)
        {
            long done = Interlocked.Add(ref _done, units);
            long percent = Total > 0 ? 100 * done / Total : 0;
            double seconds = _clock.Elapsed.TotalSeconds;
            if (percent <= _lastPercent && seconds - _lastSeconds < sink.Interval.TotalSeconds) return;
            _lastPercent = percent;
            _lastSeconds = seconds;
            sink.Write(Fields("progress", done, seconds));
        }

        public void Describe(string text)
        {
            description = text;
            sink.Write(new() { ["event"] = "describe", ["task"] = Id, ["description"] = text });
        }

        public void Dispose()
        {
            if (_ended) return;
            _ended = true;
            sink.Write(Fields("end", Interlocked.Read(ref _done), _clock.Elapsed.TotalSeconds));
        }

        Dictionary<string, object?> Fields(string kind, long done, double seconds)
        {
            double rate = seconds > 0 ? done / seconds : 0;
            return new()
            {
                ["event"] = kind, ["task"] = Id, ["description"] = description, ["done"] = done, ["total"] = Total, ["unit"] = unit,
                ["fraction"] = Total > 0 ? Math.Round((double)done / Total, 4) : null,
                ["rate"] = Math.Round(rate, 3), ["elapsedSeconds"] = Math.Round(seconds, 3),
                ["remainingSeconds"] = rate > 0 && done < Total ? Math.Round((Total - done) / rate, 1) : null,
            };
        }
    }
}
