using Maskbench.Attacks;
using Maskbench.Evaluation.Pipeline;
using Maskbench.Masks.Learned;
using Maskbench.Tests.Masks.Learned;
using static TorchSharp.torch;

namespace Maskbench.Tests.Evaluation.Pipeline;

[Collection(Maskbench.Tests.Support.TorchThreadsCollection.Name)]
public class PipelineEvaluatorTests
{
    static PipelineAttackOptions Options => new() { Epsilon = 10.0 / 255, Steps = 10, GrowthSteps = 10, Seed = 1, BatchSize = 48 };

    static PipelineReport Evaluate(MaskMode mode, PipelineAttackOptions options)
    {
        var task = TinySegmentation.Instance;
        return PipelineEvaluator.Evaluate(task.Masker, new ModuleTarget(task.Classifier), mode, task.Test, options);
    }

    /// <summary>
    /// Tramèr et al.'s criterion: every adaptive attack is at least as strong as the non-adaptive PGD on the same pipeline
    /// (each includes it and searches the examples it left), the worst case over all of them is at most each one, and
    /// the adaptive searches fool examples the non-adaptive attack did not. The budget is chosen so the non-adaptive attack fools
    /// some but not all examples (else the comparison would say nothing).
    /// </summary>
    [Theory]
    [InlineData(MaskMode.Threshold)]
    [InlineData(MaskMode.Soft)]
    public void EveryAdaptiveAttackIsAtLeastAsStrongAsTheNonAdaptiveOne(MaskMode mode)
    {
        var report = Evaluate(mode, Options);
        var byAttack = report.Attacks.ToDictionary(a => a.Attack);
        Assert.Equal(PipelineEvaluator.DefaultAttacks(mode), report.Attacks.Select(a => a.Attack));
        var baseline = byAttack[PipelineAttack.NonAdaptive].Robust;
        Assert.InRange(baseline.Accuracy, 0.05, report.Natural.Accuracy - 0.05);
        foreach (var result in report.Attacks.Where(a => a.Attack != PipelineAttack.NonAdaptive))
            Assert.True(result.Robust.Correct <= baseline.Correct, $"{result.Attack}: {result.Robust} vs non-adaptive {baseline}");
        Assert.True(report.WorstCase.Correct <= report.Attacks.Min(a => a.Robust.Correct));
        // The adaptive searches find examples the non-adaptive attack missed.
        Assert.True(report.WorstCase.Correct < baseline.Correct, $"worst case {report.WorstCase} vs non-adaptive {baseline}");
        Assert.True(report.Natural.Correct >= report.Attacks.Max(a => a.Robust.Correct));
        Assert.True(report.Natural.Low <= report.Natural.Accuracy && report.Natural.Accuracy <= report.Natural.High);
        // The full-image attacker moves the mask more than the non-adaptive one (which never looks at it).
        Assert.True(byAttack[PipelineAttack.FullImage].MaskIoU.Mean < byAttack[PipelineAttack.NonAdaptive].MaskIoU.Mean);
        Assert.Equal(report.Attacks.Count > 0 ? Math.Min(4, report.Natural.Count) : 0, report.Examples.Count);
    }

    [Fact]
    public void MaskGrowthGrowsThePredictedForegroundWithoutLeavingItsRegion()
    {
        var task = TinySegmentation.Instance;
        var (x, _, _) = TinySegmentation.Tensors(task.Test);
        x = x.narrow(0, 0, 32);
        var clean = PipelineEvaluator.HardMask(task.Masker, x);
        // Attack.Run rejects any output outside the threat model, so a growth stage that escaped the region would throw.
        var grown = PipelineEvaluator.GrowMask(task.Masker, x, clean, Options with { Epsilon = 16.0 / 255 });
        double before = clean.sum().item<float>(), after = grown.maximum(clean).sum().item<float>();
        Assert.True(after > before * 1.05, $"foreground pixels: clean {before}, after growth {after}");
    }

    [Fact]
    public void RegionOptionReachesTheThreatModel()
    {
        var options = Options with { Attacks = [PipelineAttack.EndToEnd], BatchSize = 96 };
        var predicted = Evaluate(MaskMode.Soft, options);
        var full = Evaluate(MaskMode.Soft, options with { Region = ThreatRegion.Full });
        var truth = Evaluate(MaskMode.Soft, options with { Region = ThreatRegion.TrueForeground });
        Assert.Equal(ThreatRegion.Foreground, predicted.Region);
        // A full-image attacker on the same search fools more; the true-mask region differs from the predicted one.
        Assert.True(full.WorstCase.Correct < predicted.WorstCase.Correct, $"full {full.WorstCase}, predicted {predicted.WorstCase}");
        Assert.True(full.Attacks[0].MaskIoU.Mean < predicted.Attacks[0].MaskIoU.Mean);
        Assert.NotEqual(truth.Attacks[0].MaskIoU.Mean, predicted.Attacks[0].MaskIoU.Mean);
        Assert.Throws<MaskbenchException>(() => Evaluate(MaskMode.Soft, options with { Attacks = [PipelineAttack.StraightThrough] }));
    }
}
