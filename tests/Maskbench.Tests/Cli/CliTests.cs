using Maskbench.Data;
using Maskbench.Tests.Support;

namespace Maskbench.Tests.Cli;

public class CliTests
{
    [Fact]
    public void HelpListsTheCommands()
    {
        // Every command of the registry (CliOptionEffectTests.Invocations is checked against the assembly's commands).
        var (code, stdout, _) = CliProcess.Run("--help");
        Assert.Equal(0, code);
        foreach (var command in CliOptionEffectTests.Invocations.Select(a => a[0]).Distinct()) Assert.Contains(command, stdout);
        foreach (var branch in CliOptionEffectTests.Invocations.Where(a =>
            a.Length > 1 && !a[1].StartsWith('-') && a[0] is not ("info" or "preview" or "merge")).GroupBy(a => a[0]))
        {
            (code, stdout, _) = CliProcess.Run(branch.Key, "--help");
            Assert.Equal(0, code);
            foreach (var sub in branch) Assert.Contains(sub[1], stdout);
        }
    }

    [Fact]
    public void DoctorReportsVersionsAndTheFixState()
    {
        var (code, stdout, _) = CliProcess.Run("doctor");
        Assert.Equal(0, code);
        Assert.Contains("libtorch", stdout);
        Assert.Contains("2.10", stdout);
        Assert.Contains("libstdc++ fix", stdout);
    }

    [Fact]
    public void DoctorChecksTheKernelBatteryAndShowsTheRoutesAroundAWrongKernel()
    {
        using var cache = new TempFolder();
        var environment = new Dictionary<string, string> { ["MASKBENCH_KERNEL_CACHE"] = cache.Path };
        var (code, stdout, stderr) = CliProcess.RunWith(environment, "doctor", "--threads", "1");
        Assert.True(code == 0, stderr + stdout);
        Assert.Matches(@"kernel check: .*libtorch's own kernel wrong for \d+ of 61 shapes", stdout);
        environment["MASKBENCH_SIMULATE_KERNEL_FAULT"] = "backward-input";
        (code, stdout, stderr) = CliProcess.RunWith(environment, "doctor", "--threads", "1");
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("simulated fault backward-input", stdout);
        Assert.Contains("WRONG", stdout);
        Assert.Contains("padded:3x16", stdout);
        var wrong = int.Parse(System.Text.RegularExpressions.Regex.Match(stdout, @"wrong for (\d+) of 61").Groups[1].Value);
        Assert.True(wrong >= 20, $"{wrong} shapes wrong under the simulated fault");
    }

    [Fact]
    public void CorruptDatasetGivesOneLineNamingTheFile()
    {
        using var temp = new TempFolder();
        var train = SyntheticSplits.Random(4, 8, 2, seed: 3);
        DatasetStore.Write(temp["ds"], SyntheticSplits.Manifest(8, 2), new Dictionary<string, SplitArrays> { ["train"] = train });
        string labels = Path.Combine(temp["ds"], "train", "labels.npy");
        File.WriteAllBytes(labels, File.ReadAllBytes(labels)[..^3]);
        var (code, _, stderr) = CliProcess.Run("info", temp["ds"], "--verify");
        Assert.Equal(1, code);
        var lines = stderr.Trim().Split('\n');
        Assert.Single(lines);
        Assert.Contains(labels, lines[0]);
        Assert.DoesNotContain(" at Maskbench", stderr);
    }

    [Fact]
    public void InfoPrintsPerClassCounts()
    {
        using var temp = new TempFolder();
        var train = SyntheticSplits.Random(9, 8, 3, seed: 4);
        DatasetStore.Write(temp["ds"], SyntheticSplits.Manifest(8, 3), new Dictionary<string, SplitArrays> { ["train"] = train });
        var (code, stdout, _) = CliProcess.Run("info", temp["ds"]);
        Assert.Equal(0, code);
        for (int c = 0; c < 3; c++)
        {
            string row = stdout.Split('\n').Single(l => l.Contains($"class-{c} "));
            Assert.Contains($" {train.Labels.Count(l => l == c)} ", row);
        }
    }

    [Fact]
    public void UnknownCommandIsAUsageError()
    {
        var (code, _, stderr) = CliProcess.Run("frobnicate");
        Assert.Equal(2, code);
        Assert.Contains("frobnicate", stderr);
    }
}

public class CliHelpTests
{
    /// <summary>Command names listed under COMMANDS: in a help text.</summary>
    static List<string> ListedCommands(string help) =>
        help.Split('\n').SkipWhile(l => !l.StartsWith("COMMANDS:")).Skip(1)
            .Select(l => System.Text.RegularExpressions.Regex.Match(l, @"^    (\w[\w-]*)"))
            .Where(m => m.Success).Select(m => m.Groups[1].Value).ToList();

    [Fact]
    public void EveryCommandAndSubcommandHasHelp()
    {
        var (code, top, _) = CliProcess.Run("--help");
        Assert.Equal(0, code);
        var commands = ListedCommands(top);
        Assert.Contains("doctor", commands);
        var checkedPaths = new List<string>();
        foreach (var command in commands)
        {
            var (c, help, err) = CliProcess.Run(command, "--help");
            Assert.True(c == 0, $"{command} --help exited {c}: {err}");
            Assert.Contains("USAGE:", help);
            var sub = ListedCommands(help);
            foreach (var s in sub)
            {
                var (c2, help2, err2) = CliProcess.Run(command, s, "--help");
                Assert.True(c2 == 0, $"{command} {s} --help exited {c2}: {err2}");
                Assert.Contains("OPTIONS:", help2);
                checkedPaths.Add($"{command} {s}");
            }
            checkedPaths.Add(command);
        }
        Assert.True(checkedPaths.Count >= 8, string.Join(", ", checkedPaths));
    }
}
