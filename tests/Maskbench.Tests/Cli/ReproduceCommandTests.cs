using System.Text.Json;
using System.Text.Json.Nodes;
using Maskbench.Experiments;
using Maskbench.Tests.Experiments;
using Maskbench.Tests.Support;

namespace Maskbench.Tests.Cli;

/// <summary>`reproduce` as a user runs it: profiles, overrides, --print-plan, --seeds, through to the trainer's run.json.</summary>
public class ReproduceCommandTests
{
    [Fact]
    public void AnUnknownProfileIsAUsageErrorListingTheValidNames()
    {
        using var tmp = new TempFolder();
        ReproductionTests.WriteDataset(tmp["data"]);
        var (code, stdout, stderr) = CliProcess.Run("reproduce", "--data", tmp["data"], "--out", tmp["out"], "--profile", "laptop");
        Assert.Equal(2, code);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.Contains("laptop", stderr);
        foreach (var p in ExperimentProfile.All) Assert.Contains(p.Name, stderr);
        Assert.False(Directory.Exists(tmp["out"]));
        (code, _, stderr) = CliProcess.Run("reproduce", "--data", tmp["data"], "--print-plan", "--schedule", "linear");
        Assert.Equal(2, code);
        Assert.Contains("--schedule", stderr);
    }

    /// <summary>Each profile's own settings, not the default's (before this, --profile paper silently ran cpu).</summary>
    [Theory]
    [InlineData("paper")]
    [InlineData("workstation")]
    [InlineData("cpu")]
    public void PrintPlanShowsTheNamedProfileAndRunsNothing(string name)
    {
        using var tmp = new TempFolder();
        ReproductionTests.WriteDataset(tmp["data"]);
        var (code, stdout, stderr) = CliProcess.Run("reproduce", "--data", tmp["data"], "--out", tmp["out"], "--profile", name, "--print-plan");
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n').Select(l => l.TrimEnd()).ToList();
        var expected = ExperimentProfile.Named(name).Describe();
        foreach (var (setting, value) in expected)
            Assert.Contains(lines, l => l.StartsWith(setting) && l.EndsWith(value));
        var plan = Reproduction.PlanFor(tmp["data"], ExperimentProfile.Named(name));
        Assert.Contains(lines, l => l.StartsWith("cells") && l.Contains($" {plan.Cells.Count} ("));
        Assert.False(Directory.Exists(tmp["out"]));
    }

    /// <summary>
    /// Every override on the command line, one tiny run: the trainer's run.json, the evaluation cells and results.json
    /// show the overridden values (a second seed's model is the one run, so --seeds reaches the trainer too).
    /// </summary>
    [Fact]
    public void OverridesReachTheTrainerTheEvaluatorAndTheReport()
    {
        using var tmp = new TempFolder();
        ReproductionTests.WriteDataset(tmp["data"]);
        string[] overrides = ["--profile", "workstation", "--arch", "smallcnn", "--width", "0.25", "--epochs", "2", "--train-limit", "40",
            "--test-limit", "9", "--batch", "8", "--lr", "0.03", "--schedule", "multistep", "--train-steps", "3", "--eps-warmup", "1",
            "--pgd-steps", "2", "--restarts", "3", "--precision", "bf16", "--seeds", "2", "--threads", "1"];
        var (code, stdout, stderr) = CliProcess.Run(["reproduce", "--data", tmp["data"], "--print-plan", .. overrides]);
        Assert.True(code == 0, stderr);
        Assert.Contains("bf16", stdout);
        Assert.Contains("2 (seeds 0–1)", stdout);

        (code, stdout, stderr) = CliProcess.Run(["reproduce", "--data", tmp["data"], "--out", tmp["out"], .. overrides,
            "--cells", "train/adversarial-plain-seed1,eval/adversarial-plain-seed1/*"]);
        Assert.True(code == 0, stderr + stdout);

        var runJson = JsonNode.Parse(File.ReadAllText(Directory.GetFiles(tmp["out/runs"], "run.json", SearchOption.AllDirectories).Single()))!;
        var o = runJson["options"]!;
        Assert.Equal("Pgd", (string?)o["mode"]);
        Assert.Equal(2, (int)o["epochs"]!);
        Assert.Equal(8, (int)o["batchSize"]!);
        Assert.Equal(0.03, (double)o["learningRate"]!);
        Assert.Equal("Multistep", (string?)o["schedule"]);
        Assert.Equal(3, (int)o["steps"]!);
        Assert.Equal(1, (int)o["epsilonWarmupEpochs"]!);
        Assert.Equal(40, (int)o["limitTrain"]!);
        Assert.Equal(1, (int)o["seed"]!);
        Assert.Equal("smallcnn", ((string?)runJson["model"]!["arch"])?.ToLowerInvariant());
        Assert.Equal(0.25, (double)runJson["model"]!["width"]!);

        var cells = new CellStore(tmp["out"]).All().ToList();
        var pgd = cells.Single(c => c.Id == "eval/adversarial-plain-seed1/pgd");
        Assert.Equal(("2", "bf16", "9", "1"), (pgd.Parameters["attack.steps"], pgd.Parameters["attack.precision"],
            pgd.Parameters["attack.testLimit"], pgd.Parameters["model.seed"]));
        Assert.Equal(9, pgd.Evaluation!.Count);

        var results = JsonNode.Parse(File.ReadAllText(tmp["out/results.json"]))!;
        var profile = results["profile"]!;
        Assert.Equal("workstation", (string?)profile["name"]);
        Assert.Equal(("bf16", 2, 8, 3), ((string?)profile["precision"], (int)profile["seeds"]!, (int)profile["batchSize"]!,
            (int)profile["restarts"]!));
        var replica = results["models"]!.AsArray().Single(m => (string?)m!["id"] == "adversarial-plain-seed1")!;
        Assert.True((bool)replica["replica"]!);
        Assert.NotNull(replica["naturalInterval"]);
        string md = File.ReadAllText(tmp["out/report.md"]);
        Assert.Contains("| precision | bf16 |", md);
        Assert.Contains("| learning rate | 0.03 |", md);
    }
}
