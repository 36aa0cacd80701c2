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
            string last = stderr.Trim().Split('\n').LastOrDefault() ?? "";
            note = last.Contains("No module named") ? $"{scriptFileName}: {last.Trim()} (apt-get install python3-torch python3-numpy python3-opencv)"
                : $"{scriptFileName} failed with exit code {p.ExitCode}: {last.Trim()}";
            return null;
        }
        string? line = stdout.Trim().Split('\n').LastOrDefault();
        try { return line is null ? null : JsonNode.Parse(line); }
        catch (System.Text.Json.JsonException) { note = $"{scriptFileName} printed no JSON on its last line"; return null; }
    }
}
