using Maskbench.Data;

namespace Maskbench.Tests.Support;

/// <summary>Random split contents for store and batching tests.</summary>
public static class SyntheticSplits
{
    public static SplitArrays Random(int count, int size, int classes, int seed)
    {
        var rng = new Random(seed);
        var a = new SplitArrays(count, size);
        rng.NextBytes(a.Images);
        for (int i = 0; i < a.Masks.Length; i++) a.Masks[i] = (byte)(rng.NextDouble() < 0.4 ? 1 : 0);
        for (int i = 0; i < count; i++) a.Labels[i] = rng.Next(classes);
        return a;
    }

    public static DatasetManifest Manifest(int size, int classes) => new()
    {
        Name = "test",
        ClassNames = Enumerable.Range(0, classes).Select(c => $"class-{c}").ToList(),
        ImageSize = size,
        Source = "random bytes",
    };
}

/// <summary>Runs /usr/bin/python3 (NumPy oracle) where it is installed.</summary>
public static class Python
{
    public static string RunNumPy(string script, params string[] args)
    {
        const string python = "/usr/bin/python3";
        Skip.IfNot(File.Exists(python), "/usr/bin/python3 is not installed");
        var psi = new System.Diagnostics.ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        string stdout = p.StandardOutput.ReadToEnd();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Skip.If(stderr.Contains("No module named 'numpy'"), "NumPy is not installed (apt-get install python3-numpy)");
        if (p.ExitCode != 0) throw new Exception("python failed: " + stderr);
        return stdout.Trim();
    }
}
