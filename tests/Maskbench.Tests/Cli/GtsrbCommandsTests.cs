using Maskbench.Data;
using Maskbench.Tests.Support;

namespace Maskbench.Tests.Cli;

public class GtsrbCommandsTests
{
    [Fact]
    public void Synth_then_build_as_in_the_docs()
    {
        using var temp = new TempFolder();
        var synth = CliProcess.Run("synth", "gtsrb", "--out", temp["syn"], "--classes", "2", "--train-per-class", "3", "--test-per-class", "1",
            "--seed", "4");
        Assert.True(synth.ExitCode == 0, synth.Stderr);
        var build = CliProcess.Run("build", "gtsrb", "--src", temp["syn"], "--out", temp["ds"], "--size", "12", "--workers", "2");
        Assert.True(build.ExitCode == 0, build.Stderr);
        Assert.Contains("6 train, 2 test images", build.Stdout);
        using var dataset = DatasetStore.Open(temp["ds"]);
        Assert.Equal(12, dataset.Manifest.ImageSize);
    }

    [SkippableFact]
    public void An_inconsistent_csv_gives_one_line_with_expected_and_found_size()
    {
        string root = SharedData.Require("gtsrb-inconsistent");
        using var temp = new TempFolder();
        var (code, _, stderr) = CliProcess.Run("build", "gtsrb", "--src", root, "--out", temp["ds"]);
        Assert.Equal(1, code);
        string line = Assert.Single(stderr.Trim().Split('\n'));
        Assert.Contains("GT-final_test.csv, line 2", line);
        Assert.Contains("53x54 (expected)", line);
        Assert.Contains("32x32 (found)", line);
        Assert.False(Directory.Exists(temp["ds"]));
    }
}
