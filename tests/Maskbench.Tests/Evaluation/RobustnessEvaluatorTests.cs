using Maskbench.Attacks;
using Maskbench.Data;
using Maskbench.Evaluation;
using Maskbench.Progress;
using Maskbench.Runtime;
using Maskbench.Tests.Attacks;
using Maskbench.Tests.Support;
using static TorchSharp.torch;

namespace Maskbench.Tests.Evaluation;

/// <summary>Shares the trained fixture model, which a bf16 attack converts in place: these classes run one at a time.</summary>
[Collection(TrainedFixture.Collection)]
public class RobustnessEvaluatorTests
{
    /// <summary>The trained fixture's test images stored as a dataset, masks on the class's blob quadrant.</summary>
    internal static (TempFolder Temp, string Folder) StoreFixture()
    {
        var (_, x, y) = TrainedFixture.Get();
        int n = (int)x.shape[0];
        var arrays = new SplitArrays(n, 8);
        var pixels = x.permute(0, 2, 3, 1).contiguous().data<float>().ToArray();   // NHWC
        for (int i = 0; i < pixels.Length; i++) arrays.Images[i] = (byte)Math.Round(pixels[i] * 255);
        var labels = y.data<long>().ToArray();
        for (int i = 0; i < n; i++)
        {
            arrays.Labels[i] = labels[i];
            int top = (int)labels[i] / 2 * 4, left = (int)labels[i] % 2 * 4;
            for (int p = 0; p < 64; p++)
                arrays.Masks[i * 64 + p] = (byte)(p / 8 >= top && p / 8 < top + 4 && p % 8 >= left && p % 8 < left + 4 ? 1 : 0);
        }
        var temp = new TempFolder();
        DatasetStore.Write(temp["ds"], SyntheticSplits.Manifest(8, 4), new Dictionary<string, SplitArrays> { ["test"] = arrays });
        return (temp, temp["ds"]);
    }

    [Theory]
    [InlineData(ThreatRegion.Full)]
    [InlineData(ThreatRegion.Foreground)]
    public void SweepIsMonotoneStartsAtNaturalAccuracyAndRoundTripsAsJson(ThreatRegion region)
    {
        var (temp, folder) = StoreFixture();
        using var _ = temp;
        using var dataset = DatasetStore.Open(folder);
        var split = dataset.Split("test");
        var (model, _, _) = TrainedFixture.Get();
        var attacked = AttackedModel.FromModule(model, maskedInput: false, "fixture");
        var options = new EvaluationOptions { Epsilons = [0.3, 0, 0.1, 0.2], Region = region, BatchSize = 24 };
        var report = RobustnessEvaluator.Evaluate(split, "test", attacked, new PgdAttack { Steps = 10, Seed = 1 }, options, NullProgress.Instance);

        Assert.Equal(new[] { 0, 0.1, 0.2, 0.3 }, report.Sweep.Select(s => s.Epsilon));
        Assert.Equal(report.NaturalAccuracy, report.Sweep[0].RobustAccuracy);
        for (int e = 1; e < report.Sweep.Count; e++) Assert.True(report.Sweep[e].RobustAccuracy <= report.Sweep[e - 1].RobustAccuracy);
        Assert.True(report.Sweep[^1].RobustAccuracy < report.NaturalAccuracy, "the largest ε should fool something");

        // Natural accuracy agrees with a direct forward pass over the stored bytes.
        using var batch = Maskbench.Batching.DatasetBatches.Gather(split, Enumerable.Range(0, split.Count).ToArray(), CPU);
        double natural = AttackFixtures.Labels(model, batch.Images).eq(batch.Labels).to_type(ScalarType.Float64).mean().item<double>();
        Assert.Equal(natural, report.NaturalAccuracy, 10);

        // Per-example outcomes add up to the sweep.
        foreach (var s in report.Sweep)
            Assert.Equal(s.Robust, report.Examples.Count(x => x.FirstFoolingEpsilon is null || x.FirstFoolingEpsilon > s.Epsilon));

        string path = temp["out/result.json"];
        report.Save(path);
        var back = RobustnessReport.FromJson(File.ReadAllText(path));
        Assert.Equal(report.Sweep, back.Sweep);
        Assert.Equal(report.Examples.Select(x => x.FirstFoolingEpsilon), back.Examples.Select(x => x.FirstFoolingEpsilon));
        Assert.Equal(region == ThreatRegion.Full ? "full" : "foreground", back.Threat);
    }

    /// <summary>
    /// For the random-mask control the two foreground regions differ: the model's own (its random twin) and the
    /// dataset's. Every attacked input differs from the clean one only inside the region's mask, and the two regions
    /// perturb different pixels.
    /// </summary>
    [Fact]
    public void EachForegroundRegionConfinesThePerturbationToItsOwnMask()
    {
        var (temp, folder) = StoreFixture();
        using var _ = temp;
        using var dataset = DatasetStore.Open(folder);
        var split = dataset.Split("test");
        var (model, _, _) = TrainedFixture.Get();
        var twin = new Maskbench.Masks.Sources.MaskSource.RandomTwin(5);
        var attacked = AttackedModel.FromModule(model, twin, "fixture, random twin");
        var outside = new Dictionary<ThreatRegion, double>();
        var moved = new Dictionary<ThreatRegion, double[]>();
        foreach (var region in new[] { ThreatRegion.Foreground, ThreatRegion.TrueForeground })
        {
            var options = new EvaluationOptions { Epsilons = [0.3], Region = region, BatchSize = 64, Limit = 64 };
            double leaked = 0;
            double[]? perPixel = null;
            RobustnessEvaluator.Evaluate(split, "test", attacked, new PgdAttack { Steps = 3, Seed = 1, EarlyStop = false }, options,
                NullProgress.Instance,
                observe: b =>
                {
                    var own = twin.ForEvaluation(b.Batch)!;
                    var mask = region == ThreatRegion.Foreground ? own : b.Batch.Masks;
                    var delta = (b.Result.Adversarial - b.Batch.Images).abs().amax([1], keepdim: true);
                    leaked += (delta * (1 - mask)).sum().item<float>();
                    perPixel = delta.gt(0).to_type(ScalarType.Float64).flatten().data<double>().ToArray();
                });
            outside[region] = leaked;
            moved[region] = perPixel!;
        }
        Assert.Equal(0, outside[ThreatRegion.Foreground]);
        Assert.Equal(0, outside[ThreatRegion.TrueForeground]);
        Assert.True(moved[ThreatRegion.Foreground].Sum() > 0 && moved[ThreatRegion.TrueForeground].Sum() > 0);
        Assert.NotEqual(moved[ThreatRegion.Foreground], moved[ThreatRegion.TrueForeground]);
    }
}
