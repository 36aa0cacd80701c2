using Maskbench.Experiments.Mnist;
using Maskbench.Progress;
using Maskbench.Tests.Support;
using static TorchSharp.torch;

namespace Maskbench.Tests.Experiments.Mnist;

public class MnistBaselineTests
{
    [SkippableFact]
    public void RunsOnTheRealFilesAtATinyScaleAndReportsFromResultsJson()
    {
        string folder = SharedData.Require("mnist");
        using var tmp = new TempFolder();
        var options = new MnistBaselineOptions { TrainCount = 600, TestCount = 200, EvaluationLimit = 40, Epochs = 1, Width = 0.25, Steps = 3 };
        var results = MnistBaseline.Run(folder, options, tmp["run"], CPU, NullProgress.Instance);
        Assert.Equal(["plain CNN, PGD", "binarized CNN, PGD", "binarized CNN, BPDA"], results.Rows.Select(r => r.Model));
        Assert.Equal((600, 200, 40), (results.TrainImages, results.TestImages, results.EvaluatedImages));
        foreach (var row in results.Rows)
            Assert.All(row.Robust, p => Assert.True(p.Accuracy <= row.Natural, $"{row.Model} at {p.Epsilon}: {p.Accuracy} above {row.Natural}"));
        // Same weights: the two binarized rows see the same clean inputs.
        Assert.Equal(results.Rows[1].Natural, results.Rows[2].Natural);
        string html = results.WriteReport(tmp["out"]);
        Assert.True(File.Exists(html));
        var reloaded = MnistResults.Load(tmp["out/results.json"]);
        string md = File.ReadAllText(tmp["out/report.md"]);
        Assert.Contains($"| plain CNN, PGD | {reloaded.Rows[0].Natural:F2} |", md);
    }
}
