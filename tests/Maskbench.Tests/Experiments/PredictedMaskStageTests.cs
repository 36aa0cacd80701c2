using Maskbench.Data;
using Maskbench.Experiments;
using Maskbench.Progress;
using Maskbench.Reports;
using Maskbench.Tests.Masks.Learned;
using Maskbench.Tests.Support;
using static TorchSharp.torch;

namespace Maskbench.Tests.Experiments;

/// <summary>A tiny grid, then the predicted-mask rows beside its plain and oracle-mask rows, in results.json and the report.</summary>
[Collection(TorchThreadsCollection.Name)]
public class PredictedMaskStageTests
{
    [Fact]
    public void PredictedMaskRowsSitBesideThePlainAndOracleRowsAndAreCached()
    {
        using var tmp = new TempFolder();
        DatasetStore.Write(tmp["data"], SyntheticSplits.Manifest(TinySegmentation.Size, TinySegmentation.Classes), new Dictionary<string, SplitArrays>
        {
            ["train"] = TinySegmentation.Generate(160, seed: 31), ["test"] = TinySegmentation.Generate(24, seed: 32),
        });
        var profile = ReproductionTests.Tiny with { Sweep = false, StrongSuite = false, RandomMaskControl = false, Epochs = 2 };
        var grid = Reproduction.Run(tmp["data"], tmp["out"], profile, null, CellSelection.All, CPU, NullProgress.Instance);
        var settings = new PredictedMaskStage.Settings { BaseWidth = 4, Depth = 2, Epochs = 3, Steps = 3, Epsilon = 8.0 / 255 };
        var section = PredictedMaskStage.Run(tmp["data"], tmp["out"], grid.Results, settings, CPU, NullProgress.Instance);

        Assert.Equal(["N plain", "N oracle mask", "N predicted mask", "A plain", "A oracle mask", "A predicted mask"],
            section.Rows.Select(r => $"{r.Training} {r.Mask}"));
        foreach (var row in section.Rows)
        {
            Assert.Equal(24, row.TestCount);
            Assert.True(row.Natural!.Low <= row.Natural.Value && row.Natural.Value <= row.Natural.High);
            Assert.True(row.Robust!.Value <= row.Natural.Value);
        }
        // The oracle rows are the grid's own numbers.
        var oracle = grid.Results.Models.Single(m => m.Id == "natural-masked");
        Assert.Equal(oracle.Natural!.Value, section.Rows[1].Natural!.Value, 1);
        // Each pipeline's robust figure is the worst case over its attacks.
        foreach (var letter in new[] { "N", "A" })
            Assert.True(section.Rows.Single(r => r.Training == letter && r.Mask == "predicted mask").Robust!.Value
                <= section.Attacks.Where(a => a.Training == letter).Min(a => a.Robust.Value));
        Assert.Equal(10, section.Attacks.Count);   // five attacks (thresholded mask) per pipeline
        Assert.All(section.ExampleImages.Values, image => Assert.True(File.Exists(Path.Combine(tmp["out"], image))));

        var results = grid.Results;
        results.PredictedMasks = section;
        ReportWriter.Write(results, tmp["out"], tmp["out"]);
        string markdown = File.ReadAllText(tmp["out/report.md"]);
        Assert.Contains("Masks without an oracle", markdown);
        Assert.Contains("| A | predicted mask |", markdown);
        Assert.Contains("(c) grow the mask, then attack", markdown);
        Assert.Contains("predicted-masks-N.png", markdown);
        var reloaded = ExperimentResults.Load(tmp["out/results.json"]);
        Assert.Equal(section.Rows.Count, reloaded.PredictedMasks!.Rows.Count);

        // A rerun reuses the masker and both evaluations: same numbers, no new files.
        var files = Directory.GetFiles(tmp["out/predicted-masks"], "*", SearchOption.AllDirectories).Select(f => (f, File.GetLastWriteTimeUtc(f)))
            .ToList();
        var again = PredictedMaskStage.Run(tmp["data"], tmp["out"], grid.Results, settings, CPU, NullProgress.Instance);
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(section), System.Text.Json.JsonSerializer.Serialize(again));
        Assert.All(files.Where(f => f.f.EndsWith(".json")), f => Assert.Equal(f.Item2, File.GetLastWriteTimeUtc(f.f)));
    }
}
