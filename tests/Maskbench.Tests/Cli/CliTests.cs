using Maskbench.Data;
using Maskbench.Tests.Support;

namespace Maskbench.Tests.Cli;

public class CliTests
{
    [Fact]
    public void HelpListsTheCommands()
    {
        var (code, stdout, _) = CliProcess.Run("--help");
        Assert.Equal(0, code);
        foreach (var command in new[] { "doctor", "info", "bench" }) Assert.Contains(command, stdout);
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
