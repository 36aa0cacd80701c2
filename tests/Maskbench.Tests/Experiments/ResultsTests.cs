using Maskbench.Experiments;
using Maskbench.Progress;
using Maskbench.Reports;
using Maskbench.Tests.Support;

namespace Maskbench.Tests.Experiments;

public class ResultsTests
{
    [Fact]
    public void ResultsFollowTheFakeAccuraciesAndTheSuiteIsNeverWeakerThanPgd()
    {
        using var tmp = new TempFolder();
        var plan = FakeBackend.Plan();
        new GridRunner(plan, new CellStore(tmp.Path), new FakeBackend(), NullProgress.Instance).Run(CellSelection.All);
        var r = ResultsBuilder.Build(plan, new CellStore(tmp.Path));
        Assert.Empty(r.MissingCells);
        var natPlain = r.Models.Single(m => m.Id == "natural-plain");
        // Closed form of the fake: k % 20 < threshold over 40 examples = threshold / 20.
        Assert.Equal(90.0, natPlain.Natural);
        Assert.Equal(10.0, natPlain.Pgd);     // 18 - 2*8 = 2 of 20
        Assert.Equal(90.0, natPlain.Sweep.Single(s => s.Epsilon255 == 0).Accuracy);
        foreach (var m in r.Models.Where(m => m.Strong is not null))
        {
            Assert.True(m.Strong <= m.Pgd, $"{m.Id}: suite {m.Strong} above PGD {m.Pgd}");
            Assert.True(m.Strong <= m.Attacks.Where(a => a.Key is "apgd-ce" or "apgd-dlr" or "square" or "pgd-restarts").Min(a => a.Value));
            Assert.Equal(m.Sweep.Select(s => s.Accuracy).OrderDescending(), m.Sweep.Select(s => s.Accuracy));
        }
        var advMasked = r.Models.Single(m => m.Id == "adversarial-masked");
        Assert.Equal(40.0, advMasked.Pgd);   // 16 - 8 = 8 of 20
        Assert.Equal(25.0, advMasked.Strong); // PGD {0..7}, APGD-CE and Square {0..6}, APGD-DLR {17..19, 0..4}: {0..4} survive all
        var table4 = r.Table4.Single(t => t.Row == "masked-A");
        Assert.Equal((91.20, 64.57), (table4.PaperNatural, table4.PaperPgd));
        Assert.Equal(Math.Round(80.0 - 91.20, 2), table4.NaturalDifference);
        Assert.Equal(2, r.RandomMaskControl.Count);
        Assert.Equal(2, r.FullImageThreat.Count);
        // Control (c): every test example lands in exactly one bin.
        Assert.All(r.ForegroundBins, b => Assert.Equal(FakeBackend.TestCount, b.Bins.Sum(x => x.Count)));
        Assert.Equal(FakeBackend.TestCount * r.Models.Count, r.ForegroundBinsPerClass.Sum(c => c.Bins.Sum(b => b.Count)));
    }

    [Fact]
    public void PartialGridReportsMissingCells()
    {
        using var tmp = new TempFolder();
        var plan = FakeBackend.Plan();
        new GridRunner(plan, new CellStore(tmp.Path), new FakeBackend(), NullProgress.Instance).Run(CellSelection.Parse("eval/natural-plain/*"));
        var r = ResultsBuilder.Build(plan, new CellStore(tmp.Path));
        Assert.Contains("train/adversarial-masked", r.MissingCells);
        Assert.Null(r.Table4.Single(t => t.Row == "masked-A").Natural);
        Assert.NotNull(r.Table4.Single(t => t.Row == "plain-N").Pgd);
    }

    [Fact]
    public void MergeOfTwoHalvesEqualsOneWholeRun()
    {
        using var tmp = new TempFolder();
        var plan = FakeBackend.Plan();
        int n = plan.Cells.Count;
        new GridRunner(plan, new CellStore(tmp["whole"]), new FakeBackend(), NullProgress.Instance).Run(CellSelection.All);
        // Like two Slurm array tasks on separate machines: training cells everywhere, evaluations split.
        new GridRunner(plan, new CellStore(tmp["a"]), new FakeBackend(), NullProgress.Instance).Run(CellSelection.Parse($"0-{n / 2}"));
        new GridRunner(plan, new CellStore(tmp["b"]), new FakeBackend(), NullProgress.Instance).Run(CellSelection.Parse($"{n / 2 + 1}-{n - 1}"));
        Assert.NotEmpty(ResultsBuilder.Build(plan, new CellStore(tmp["a"])).MissingCells);
        var summary = ResultsMerge.Merge([tmp["a"], tmp["b"]], tmp["merged"]);
        Assert.True(summary.AlreadyPresent > 0);   // both halves trained the models they needed
        var merged = ResultsBuilder.Build(summary.Plan, new CellStore(tmp["merged"]));
        var whole = ResultsBuilder.Build(plan, new CellStore(tmp["whole"]));
        Assert.Empty(merged.MissingCells);
        string Strip(ExperimentResults r) { r.Cells.Clear(); foreach (var m in r.Models) m.TrainingSeconds = 0; return r.ToJson(); }
        Assert.Equal(Strip(whole), Strip(merged));
    }

    [Fact]
    public void MergeRefusesFoldersOfDifferentPlans()
    {
        using var tmp = new TempFolder();
        FakeBackend.Plan().Save(Path.Combine(Directory.CreateDirectory(tmp["a"]).FullName, "plan.json"));
        FakeBackend.Plan(ExperimentProfile.Cpu with { Epochs = 9 }).Save(Path.Combine(Directory.CreateDirectory(tmp["b"]).FullName, "plan.json"));
        Assert.Throws<MaskbenchException>(() => ResultsMerge.Merge([tmp["a"], tmp["b"]], tmp["m"]));
    }
}
