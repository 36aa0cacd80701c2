using System.Diagnostics;
using Maskbench.Progress;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Maskbench.Cli.Rendering;

/// <summary>How `--progress` shows long work.</summary>
enum ProgressStyle
{
    /// <summary>Bars on an interactive terminal, plain lines otherwise.</summary>
    Auto,
    Bars,
    Plain,
    /// <summary>JSON lines on stderr (<see cref="JsonLinesProgress"/>); stdout keeps the command's own output.</summary>
    Json,
}

/// <summary>
/// Renders library progress: Spectre.Console bars with rate and ETA on an interactive terminal, plain
/// timestamped lines (start, every 10% or 10 s, end) when output is redirected (CI, pipes), or JSON lines on stderr
/// with `--progress json`.
/// </summary>
static class ConsoleProgress
{
    public static bool Interactive =>
        AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected
        && Environment.GetEnvironmentVariable("CI") is null;

    public static T Run<T>(Commands.GlobalSettings settings, Func<IProgressSink, T> work)
    {
        var style = settings.ProgressStyle;
        if (style == ProgressStyle.Json) return work(new JsonLinesProgress(Console.Error));
        if (style == ProgressStyle.Plain || (style == ProgressStyle.Auto && !Interactive)) return work(new PlainSink());
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                new RateColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx => result = work(new SpectreSink(ctx)));
        return result;
    }

    public static void Run(Commands.GlobalSettings settings, Action<IProgressSink> work) => Run<int>(settings, sink => { work(sink); return 0; });

    sealed class RateColumn : ProgressColumn
    {
        public static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ProgressTask, string> Units = new();

        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
        {
            string unit = Units.TryGetValue(task, out var u) ? u : "items";
            double? speed = task.Speed;
            return new Text(speed is null ? "" : $"{speed:0.0} {unit}/s", new Style(Color.Grey));
        }
    }

    sealed class SpectreSink(ProgressContext ctx) : IProgressSink
    {
        public IProgressTask Start(string description, long total, string unit = "items")
        {
            var task = ctx.AddTask(Markup.Escape(description), maxValue: Math.Max(1, total));
            RateColumn.Units.AddOrUpdate(task, unit);
            return new SpectreTask(task);
        }

        public void Info(string message) => AnsiConsole.MarkupLine(Markup.Escape(message));
    }

    sealed class SpectreTask(ProgressTask task) : IProgressTask
    {
        public void Advance(long units = 1) => task.Increment(units);
        public void Describe(string description) => task.Description = Markup.Escape(description);
        public void Dispose()
        {
            task.Value = task.MaxValue;
            task.StopTask();
        }
    }

    sealed class PlainSink : IProgressSink
    {
        public IProgressTask Start(string description, long total, string unit = "items")
        {
            Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {description}: 0/{total} {unit}");
            return new PlainTask(description, Math.Max(1, total), unit);
        }

        public void Info(string message) => Console.WriteLine(message);
    }

    sealed class PlainTask(string description, long total, string unit) : IProgressTask
    {
        readonly Stopwatch _clock = Stopwatch.StartNew();
        long _done;
        int _lastDecile;
        double _lastPrint;
        string _description = description;

        public void Advance(long units = 1)
        {
            _done += units;
            int decile = (int)(10 * _done / total);
            double now = _clock.Elapsed.TotalSeconds;
            if (decile > _lastDecile || now - _lastPrint >= 10)
            {
                _lastDecile = decile;
                _lastPrint = now;
                Print();
            }
        }

        public void Describe(string description) => _description = description;

        void Print()
        {
            double secs = _clock.Elapsed.TotalSeconds;
            double rate = secs > 0 ? _done / secs : 0;
            string eta = rate > 0 && _done < total ? $", ETA {TimeSpan.FromSeconds((total - _done) / rate):hh\\:mm\\:ss}" : "";
            Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {_description}: {_done}/{total} {unit} ({100.0 * _done / total:0}%), {rate:0.0} "
                + $"{unit}/s{eta}");
        }

        public void Dispose()
        {
            if (_done < total || _lastDecile < 10) { _done = Math.Max(_done, 0); Print(); }
        }
    }
}
