using Maskbench.Experiments;
using Maskbench.Progress;
using Maskbench.Tests.Experiments;
using Maskbench.Tests.Support;

namespace Maskbench.Tests.Cli;

public class ExperimentCommandsTests
{
    [Fact]
    public void MergeAndReportCommandsWriteTheReport()
    {
        using var tmp = new TempFolder();
        var plan = FakeBackend.Plan();
        new GridRunner(plan, new CellStore(tmp["a"]), new FakeBackend(), NullProgress.Instance).Run(CellSelection.Parse("eval/natural-*/*"));
        new GridRunner(plan, new CellStore(tmp["b"]), new FakeBackend(), NullProgress.Instance).Run(CellSelection.Parse("eval/adversarial-*/*"));
        var (code, stdout, stderr) = CliProcess.Run("merge", tmp["a"], tmp["b"], "--out", tmp["m"]);
        Assert.True(code == 0, stderr);
        Assert.Contains("0 missing", stdout);
        Assert.True(File.Exists(tmp["m/report.html"]));

        (code, stdout, stderr) = CliProcess.Run("report", "--results", tmp["m/results.json"], "--out", tmp["r"]);
        Assert.True(code == 0, stderr);
        Assert.Equal(File.ReadAllText(tmp["m/report.md"]), File.ReadAllText(tmp["r/report.md"]));
    }

    [Fact]
    public void ReproduceWithoutADatasetIsAOneLineError()
    {
        using var tmp = new TempFolder();
        var (code, _, stderr) = CliProcess.Run("reproduce", "--data", tmp["nothing"], "--out", tmp["out"]);
        Assert.Equal(1, code);
        Assert.Contains("dataset.json", stderr);
        (code, _, stderr) = CliProcess.Run("reproduce", "mnist", "--idx", tmp.Path, "--out", tmp["out"]);
        Assert.Equal(1, code);
        Assert.Contains("t10k-images-idx3-ubyte", stderr);
    }
}
