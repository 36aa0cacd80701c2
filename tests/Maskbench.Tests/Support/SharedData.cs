namespace Maskbench.Tests.Support;

/// <summary>
/// Finds the read-only real data in `../shared/data` (beside the clone; CI lays it there). Tests that need it call
/// <see cref="Require"/>, which skips the test with the reason when the folder is absent.
/// </summary>
public static class SharedData
{
    public static string? Root { get; } = Find();

    static string? Find()
    {
        string? env = Environment.GetEnvironmentVariable("MASKBENCH_SHARED_DATA");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env)) return env;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(candidate) && File.Exists(Path.Combine(candidate, "README.md"))) return candidate;
        }
        return null;
    }

    /// <summary>The path of <paramref name="relative"/> under shared/data; skips the test when it is absent.</summary>
    public static string Require(string relative)
    {
        Skip.If(Root is null, "../shared/data is not beside this clone (set MASKBENCH_SHARED_DATA to run the real-data tests)");
        string path = Path.Combine(Root!, relative);
        Skip.IfNot(File.Exists(path) || Directory.Exists(path), $"{path} is absent");
        return path;
    }
}

/// <summary>A fresh folder under the system temp directory, deleted on dispose.</summary>
public sealed class TempFolder : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "maskbench-test-" + Guid.NewGuid().ToString("N")[..12]);
    public TempFolder() => Directory.CreateDirectory(Path);
    public string this[string relative] => System.IO.Path.Combine(Path, relative);
    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
