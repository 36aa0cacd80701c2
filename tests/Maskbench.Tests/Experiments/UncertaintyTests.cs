using Maskbench.Evaluation;
using Maskbench.Experiments;
using Maskbench.Progress;
using Maskbench.Tests.Support;

namespace Maskbench.Tests.Experiments;

/// <summary>Intervals on every accuracy, mean ± sd over seeds, Table 4's noise verdicts and the failed-to-train flag.</summary>
public class UncertaintyTests
{
    static Maskbench.Reports.ExperimentResults Run(ExperimentProfile profile, Action<FakeBackend>? setup = null)
    {
        using var tmp = new TempFolder();
        var plan = FakeBackend.Plan(profile);
        var backend = new FakeBackend();
        setup?.Invoke(backend);
        new GridRunner(plan, new CellStore(tmp.Path), backend, NullProgress.Instance).Run(CellSelection.All);
        return ResultsBuilder.Build(plan, new CellStore(tmp.Path));
    }

    [Fact]
    public void EveryAccuracyCarriesTheWilsonIntervalOfItsCounts()
    {
        var r = Run(ExperimentProfile.Cpu);
        var m = r.Models.Single(x => x.Id == "natural-plain");
        // 36 of 40 right (the fake's closed form: 18 of every 20).
        var w = WilsonInterval.Of(36, 40);
        Assert.Equal(ResultsBuilder.Percent(w.Low), m.NaturalInterval!.Low);
        Assert.Equal(ResultsBuilder.Percent(w.High), m.NaturalInterval.High);
        foreach (var model in r.Models)
        {
            Assert.NotNull(model.NaturalInterval);
            Assert.NotNull(model.PgdInterval);
            Assert.Equal(model.Attacks.Keys.Order(), model.AttackIntervals.Keys.Order());
            foreach (var (name, acc) in model.Attacks)
                Assert.InRange(acc, model.AttackIntervals[name].Low, model.AttackIntervals[name].High);
            Assert.All(model.Sweep, s => Assert.InRange(s.Accuracy, s.Interval!.Low, s.Interval.High));
            if (model.Strong is double strong) Assert.InRange(strong, model.StrongInterval!.Low, model.StrongInterval.High);
        }
        Assert.All(r.Table4, t => Assert.Equal(r.Models.Single(x => x.Id == $"{t.Training}-{t.Input}").NaturalInterval, t.NaturalInterval));
        Assert.All(r.RandomMaskControl, c => Assert.NotNull(c.RandomMaskPgdInterval));
        Assert.All(r.FullImageThreat, t => Assert.NotNull(t.FullImageInterval));
        Assert.All(r.ForegroundBins.SelectMany(b => b.Bins).Where(b => b.Count > 0), b => Assert.NotNull(b.PgdInterval));
    }

    [Fact]
    public void SeedsGiveMeanAndSampleSdAndTheDifferenceIsTheMeans()
    {
        var r = Run(ExperimentProfile.Cpu with { Seeds = 3 });
        var row = r.Table4.Single(t => t.Row == "plain-N");
        // Natural accuracy of seed s is (18 − s)/20: 90, 85, 80 %; mean 85, sample sd 5.
        Assert.Equal(3, row.Seeds);
        Assert.Equal(85.0, row.NaturalMean);
        Assert.Equal(5.0, row.NaturalSd);
        Assert.Equal(90.0, row.Natural);   // the seed-0 model, with its interval
        Assert.Equal(Math.Round(85.0 - 98.04, 2), row.NaturalDifference);
        // The noise is the larger of the Wilson half-width and 2 sd = 10 points; 13.04 points exceed it.
        Assert.Equal(10.0, row.NaturalNoise);
        Assert.Equal("beyond noise", row.NaturalVerdict);
        Assert.Equal(3, r.Models.Count(m => m.Training == "natural" && m.Input == "plain"));
        Assert.Equal(2, r.Models.Count(m => m.Replica && m.Id.StartsWith("natural-plain-seed")));
    }

    [Theory]
    [InlineData(85.0, 86.0, 90.0, 80.0, null, "within noise")]     // 5 points off, interval half-width 5
    [InlineData(85.0, 79.0, 90.0, 80.0, null, "beyond noise")]     // 6 points off
    [InlineData(85.0, 92.0, 90.0, 80.0, 4.0, "within noise")]      // 7 points off, 2 sd = 8
    [InlineData(85.0, 92.0, 90.0, 80.0, 3.0, "beyond noise")]      // 7 points off, 2 sd = 6
    public void VerdictComparesTheDifferenceWithTheLargerNoise(double ours, double paper, double high, double low, double? sd, string verdict)
    {
        var (difference, noise, v) = ResultsBuilder.Compare(ours, new Maskbench.Reports.Interval(low, high), sd, paper, null);
        Assert.Equal(Math.Round(ours - paper, 2), difference);
        Assert.Equal(Math.Max((high - low) / 2, 2 * (sd ?? 0)), noise);
        Assert.Equal(verdict, v);
        Assert.Equal("failed to train", ResultsBuilder.Compare(ours, new Maskbench.Reports.Interval(low, high), sd, paper, "near chance").Verdict);
    }

    [Fact]
    public void AModelThatFailedToTrainIsFlaggedAndGetsNoVerdict()
    {
        var r = Run(ExperimentProfile.Cpu, b => b.Untrained.Add("adversarial-plain"));
        var row = r.Table4.Single(t => t.Row == "plain-A");
        Assert.Equal(0.0, row.Natural);
        Assert.NotNull(row.TrainingFailed);
        Assert.Equal("failed to train", row.NaturalVerdict);
        Assert.Equal("failed to train", row.PgdVerdict);
        Assert.Contains(r.Warnings, w => w.StartsWith("adversarial-plain failed to train"));
        Assert.All(r.Table4.Where(t => t.Row != "plain-A"), t => Assert.Null(t.TrainingFailed));
        Assert.Single(r.Warnings);
    }

    [Theory]
    [InlineData(new[] { 90.0, 80.0, 60.0, 88.0 }, 10, null)]          // all above 2× chance (20 %) and above half the best (45 %)
    [InlineData(new[] { 90.0, 80.0, 44.0, 88.0 }, 10, "natural-masked")]   // below half of the best
    [InlineData(new[] { 30.0, 28.0, 15.0, 29.0 }, 10, "natural-masked")]   // 15 % < 2 × 10 % chance
    public void FailedToTrainMeansNearChanceOrFarBelowThePeers(double[] naturals, int classes, string? failed)
    {
        string[] ids = ["natural-plain", "adversarial-plain", "natural-masked", "adversarial-masked"];
        var models = ids.Select((id, i) => new Maskbench.Reports.ModelResults { Id = id, Training = id.Split('-')[0], Input = id.Split('-')[1],
            Natural = naturals[i] }).ToList();
        var flagged = ResultsBuilder.FailedToTrain(models, classes);
        Assert.Equal(failed is null ? [] : new[] { failed }, flagged.Keys.ToArray());
    }

    [Fact]
    public void StratifiedTestRowsKeepEachClassShare()
    {
        // 1,000 rows: class 0 has 500, class 1 has 300, class 2 has 150, class 3 has 50 (interleaved).
        var labels = new long[1000];
        for (int i = 0; i < 1000; i++) labels[i] = i % 20 < 10 ? 0 : i % 20 < 16 ? 1 : i % 20 < 19 ? 2 : 3;
        var rows = TorchExperimentBackend.StratifiedTestRows(labels, 200);
        Assert.Equal(200, rows.Length);
        Assert.Equal(rows.Length, rows.Distinct().Count());
        Assert.Equal(rows.Order(), rows);
        var perClass = rows.GroupBy(r => labels[r]).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(new Dictionary<long, int> { [0] = 100, [1] = 60, [2] = 30, [3] = 10 }, perClass);
        // Largest remainders: 7 of 10 rows from classes of 5, 3, 2 rows (quotas 3.5, 2.1, 1.4 → 3+1, 2, 1).
        var small = new long[] { 0, 0, 0, 0, 0, 1, 1, 1, 2, 2 };
        var few = TorchExperimentBackend.StratifiedTestRows(small, 7).Select(r => small[r]).GroupBy(l => l).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(new Dictionary<long, int> { [0] = 4, [1] = 2, [2] = 1 }, few);
        Assert.Equal(Enumerable.Range(0, 10), TorchExperimentBackend.StratifiedTestRows(small, 0));
        Assert.Equal(rows, TorchExperimentBackend.StratifiedTestRows(labels, 200));
    }
}
