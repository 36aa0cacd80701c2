using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Maskbench.Bench;

/// <summary>
/// Runs a reference script from `reference/` with Debian's /usr/bin/python3 (python3-torch, python3-numpy,
/// python3-opencv). The script prints one JSON object on its last stdout line; that object is returned. When the
/// interpreter or a module is missing, returns null and says why in <paramref name="note"/>.
/// </summary>
public static class PythonReference
{
    public static string Interpreter { get; set; } = Environment.GetEnvironmentVariable("MASKBENCH_PYTHON") ?? "/usr/bin/python3";

    public static string ScriptPath(string scriptFileName) => Path.Combine(AppContext.BaseDirectory, "reference", scriptFileName);

    public static JsonNode? Run(string scriptFileName, IEnumerable<string> args, out string? note, int timeoutSeconds = 900)
    {
        note = null;
        string script = ScriptPath(scriptFileName);
        if (!File.Exists(script)) { note = $"reference script {script} is missing"; return null; }
        if (!File.Exists(Interpreter)) { note = $"{Interpreter} is not installed (apt-get install python3-torch python3-numpy)"; return null; }
        var psi = new ProcessStartInfo(Interpreter) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(script);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderrTask = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(timeoutSeconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            note = $"{scriptFileName} timed out after {timeoutSeconds} s";
            return null;
        }
        string stderr = stderrTask.Result;
        if (p.ExitCode != 0)
        {
            note = Failure(scriptFileName, $"failed with exit code {p.ExitCode}", stderr);
            return null;
        }
        string? line = stdout.Trim().Split('\n').LastOrDefault();
        try { return line is null ? null : JsonNode.Parse(line); }
        catch (System.Text.Json.JsonException) { note = $"{scriptFileName} printed no JSON on its last line"; return null; }
    }

    /// <summary>Why a script ended: a missing module says what to install; otherwise its last line of stderr.</summary>
    internal static string Failure(string scriptFileName, string how, string stderr)
    {
        string last = stderr.Trim().Split('\n').LastOrDefault()?.Trim() ?? "";
        return last.Contains("No module named") ? $"{scriptFileName}: {last} (apt-get install python3-torch python3-numpy python3-opencv)"
            : $"{scriptFileName} {how}: {last}";
    }

    /// <summary>
    /// Starts a reference script that answers requests line by line (<see cref="PythonSession"/>); null, with the
    /// reason in <paramref name="note"/>, when the interpreter, the script or a module is missing.
    /// </summary>
    public static PythonSession? Start(string scriptFileName, IEnumerable<string> args, out string? note)
    {
        note = null;
        string script = ScriptPath(scriptFileName);
        if (!File.Exists(script)) { note = $"reference script {script} is missing"; return null; }
        if (!File.Exists(Interpreter)) { note = $"{Interpreter} is not installed (apt-get install python3-torch python3-numpy)"; return null; }
        var psi = new ProcessStartInfo(Interpreter)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        psi.ArgumentList.Add(script);
        foreach (var a in args) psi.ArgumentList.Add(a);
        var session = new PythonSession(scriptFileName, Process.Start(psi)!);
        string? hello = session.Request(null, out note);
        try { session.Hello = hello is null ? null : JsonNode.Parse(hello); }
        catch (System.Text.Json.JsonException) { note = $"{scriptFileName} printed no JSON on its first line"; }
        if (session.Hello is null) { session.Dispose(); return null; }
        return session;
    }
}

/// <summary>A running reference script that reads one request per stdin line and answers with one stdout line.</summary>
public sealed class PythonSession : IDisposable
{
    readonly string _script;
    readonly Process _process;
    readonly Task<string> _stderr;

    internal PythonSession(string script, Process process)
    {
        _script = script;
        _process = process;
        _stderr = process.StandardError.ReadToEndAsync();
    }

    /// <summary>The script's first line (a JSON object).</summary>
    public JsonNode? Hello { get; internal set; }

    /// <summary>Why the script ended, once it has (null while it runs); every request after that answers null.</summary>
    public string? Ended { get; private set; }

    /// <summary>
    /// Sends <paramref name="request"/> (none: only reads) and returns the answer line; null, with the reason in
    /// <paramref name="note"/>, if the script ended.
    /// </summary>
    public string? Request(string? request, out string? note)
    {
        note = Ended;
        if (Ended is not null) return null;
        string? answer = null;
        try
        {
            if (request is not null)
            {
                _process.StandardInput.WriteLine(request);
                _process.StandardInput.Flush();
            }
            answer = _process.StandardOutput.ReadLine();
        }
        catch (IOException) { }   // the script closed its end of the pipe: it ended
        if (answer is not null) return answer;
        _process.WaitForExit(10_000);
        note = Ended = PythonReference.Failure(_script, _process.HasExited ? $"ended with exit code {_process.ExitCode}" : "stopped answering",
            _process.HasExited ? _stderr.Result : "");
        return null;
    }

    /// <summary>Stops the script (an answer it should not have given); later requests answer null with <paramref name="why"/>.</summary>
    public void End(string why)
    {
        Ended ??= why;
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.Close();
                if (!_process.WaitForExit(10_000)) _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException) { }
        catch (IOException) { }
        _process.Dispose();
    }
}
