using System.Text.Json.Nodes;
using Maskbench.Tests.Support;

namespace Maskbench.Tests.Cli;

/// <summary>
/// The real COCO val2017 sample end to end, CI-sized: `build coco` with the paper's defaults (train and test from the
/// same 79 images, so the numbers mean nothing; the path is what is checked), then `reproduce --profile workstation`
/// with one epoch and 40 test images for the two masked models.
/// </summary>
public class CocoWorkstationSmokeTests
{
    [SkippableFact]
    public void RealCocoSampleBuildsAndRunsTheWorkstationProfile()
    {
        string annotations = SharedData.Require("coco-val2017-mini/annotations/instances_val2017.json");
        string images = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(annotations))!, "val2017");
        using var tmp = new TempFolder();
        foreach (string split in new[] { "train", "test" })
        {
            var build = CliProcess.Run("build", "coco", "--annotations", annotations, "--images", images, "--split", split, "--out", tmp["ds"]);
            Assert.True(build.ExitCode == 0, build.Stderr);
        }
        var manifest = JsonNode.Parse(File.ReadAllText(tmp["ds/dataset.json"]))!;
        var classes = manifest["class_names"]!.AsArray().Select(n => (string?)n).ToList();
        Assert.Equal(10, classes.Count);
        Assert.DoesNotContain("person", classes);

        var (code, stdout, stderr) = CliProcess.Run("reproduce", "--data", tmp["ds"], "--out", tmp["out"], "--profile", "workstation",
            "--epochs", "1", "--test-limit", "40", "--threads", "1", "--cells", "train/*-masked,eval/*-masked/*");
        Assert.True(code == 0, stderr + stdout);
        var results = JsonNode.Parse(File.ReadAllText(tmp["out/results.json"]))!;
        Assert.Equal("MS-COCO-IC", (string?)results["dataset"]!["paperName"]);
        Assert.Equal("workstation", (string?)results["profile"]!["name"]);
        foreach (string row in new[] { "masked-N", "masked-A" })
        {
            var t = results["table4"]!.AsArray().Single(r => (string?)r!["row"] == row)!;
            Assert.NotNull(t["naturalInterval"]);
            Assert.NotNull(t["pgdInterval"]);
            Assert.NotNull(t["paperNatural"]);
        }
        Assert.Contains("MS-COCO-IC", File.ReadAllText(tmp["out/report.md"]));
    }
}
