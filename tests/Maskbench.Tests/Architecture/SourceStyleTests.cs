namespace Maskbench.Tests.Architecture;

/// <summary>The style rules an analyzer does not check (.editorconfig holds the rest, and the build enforces them).</summary>
public class SourceStyleTests
{
    /// <summary>Editors wrap at 150 (.editorconfig); no source line of the library, the CLI, the tests or the benchmarks may pass it.</summary>
    const int MaxLineLength = 150;

    [Fact]
    public void No_source_line_is_longer_than_the_limit()
    {
        string root = RepositoryRoot();
        var sources = new[] { "src", "tests", "bench" }
            .SelectMany(folder => Directory.EnumerateFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .ToList();
        Assert.True(sources.Count > 300, $"found only {sources.Count} sources");
        var tooLong = sources.SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line.Length)))
            .Where(x => x.Length > MaxLineLength)
            .Select(x => $"{Path.GetRelativePath(root, x.f)}:{x.i + 1}: {x.Length} characters").ToList();
        Assert.True(tooLong.Count == 0, string.Join("\n", tooLong));
    }

    [Fact]
    public void The_editorconfig_is_at_the_root_and_the_build_enforces_it()
    {
        string root = RepositoryRoot();
        Assert.Contains("root = true", File.ReadAllText(Path.Combine(root, ".editorconfig")));
        Assert.Contains("<EnforceCodeStyleInBuild>true</EnforceCodeStyleInBuild>", File.ReadAllText(Path.Combine(root, "Directory.Build.props")));
    }

    static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Maskbench.slnx"))) return dir.FullName;
        throw new InvalidOperationException("no Maskbench.slnx above " + AppContext.BaseDirectory);
    }
}
