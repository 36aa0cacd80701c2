using Maskbench.Attacks;
using Maskbench.Tests.Masks.Learned;
using static TorchSharp.torch;

namespace Maskbench.Tests.Attacks;

[Collection(Maskbench.Tests.Support.TorchThreadsCollection.Name)]
public class PredictedMaskTargetTests
{
    static (TinySegmentation Task, Tensor X, Tensor Y) Batch(int n = 12)
    {
        var task = TinySegmentation.Instance;
        var (x, _, y) = TinySegmentation.Tensors(task.Test);
        return (task, x.narrow(0, 0, n), y.narrow(0, 0, n));
    }

    [Fact]
    public void LogitsAreTheClassifierOnTheImageTimesTheMaskPredictedFromThatImage()
    {
        var (task, x, _) = Batch();
        using var noGrad = no_grad();
        task.Masker.eval();
        var soft = task.Masker.forward(x).sigmoid();
        var hard = soft.ge(0.5).to_type(ScalarType.Float32);
        var classifier = new ModuleTarget(task.Classifier) { Freeze = false };
        var thresholded = new PredictedMaskTarget(task.Masker, classifier, MaskMode.Threshold, GradientPath.StraightThrough);
        var softTarget = new PredictedMaskTarget(task.Masker, classifier, MaskMode.Soft, GradientPath.ThroughSoftMask);
        Assert.True(thresholded.Logits(x).eq(task.Classifier.forward(x * hard)).all().item<bool>());
        Assert.True(softTarget.Logits(x).eq(task.Classifier.forward(x * soft)).all().item<bool>());
        Assert.True(softTarget.GradientLogitsAreExact);
        Assert.False(thresholded.GradientLogitsAreExact);
        // The straight-through surrogate has the thresholded pipeline's values (up to the rounding of m + (h − m)).
        Assert.True(thresholded.LogitsForGradient(x).allclose(thresholded.Logits(x), rtol: 1e-5, atol: 1e-5));
        Assert.Throws<ArgumentException>(() => new PredictedMaskTarget(task.Masker, classifier, MaskMode.Soft, GradientPath.StraightThrough));
    }

    static Tensor InputGradient(IAttackTarget target, Tensor x, Tensor y)
    {
        var point = x.detach().requires_grad_(true);
        var loss = nn.functional.cross_entropy(target.LogitsForGradient(point), y, reduction: nn.Reduction.Sum);
        return autograd.grad([loss], [point])[0].detach();
    }

    /// <summary>
    /// The non-adaptive path is the oracle-style attack with the clean prediction as a fixed input mask: its gradient is
    /// ModuleTarget's with that mask. The adaptive paths differ from it, because gradient flows through the masker.
    /// </summary>
    [Fact]
    public void GradientPathsDifferOnlyInWhatTheMaskContributes()
    {
        var (task, x, y) = Batch();
        task.Masker.eval();
        Tensor hard;
        using (no_grad()) hard = task.Masker.forward(x).sigmoid().ge(0.5).to_type(ScalarType.Float32);
        var classifier = new ModuleTarget(task.Classifier) { Freeze = false };
        var fixedMask = new PredictedMaskTarget(task.Masker, classifier, MaskMode.Threshold, GradientPath.FixedCleanMask, x);
        var oracleStyle = new ModuleTarget(task.Classifier, hard) { Freeze = false };
        var straightThrough = new PredictedMaskTarget(task.Masker, classifier, MaskMode.Threshold, GradientPath.StraightThrough);
        using (fixedMask.Prepare(Precision.Fp32))
        {
            var a = InputGradient(fixedMask, x, y);
            var b = InputGradient(oracleStyle, x, y);
            Assert.True(a.allclose(b, rtol: 1e-6, atol: 1e-9), "fixed-clean-mask gradient differs from the oracle-style one");
            var c = InputGradient(straightThrough, x, y);
            // Off the clean mask the fixed-mask gradient is exactly 0; through the masker it is not.
            Assert.Equal(0.0, (a * (1 - hard)).abs().max().item<float>());
            Assert.True((c * (1 - hard)).abs().max().item<float>() > 0, "no straight-through gradient off the clean mask");
        }
        // Selecting rows keeps each row's clean mask.
        var rows = tensor(new long[] { 3, 1 });
        var selected = fixedMask.Select(rows);
        using (selected.Prepare(Precision.Fp32))
            Assert.True(InputGradient(selected, x.index_select(0, rows), y.index_select(0, rows))
                .allclose(InputGradient(fixedMask, x, y).index_select(0, rows), rtol: 1e-5, atol: 1e-8), "selected rows lost their clean masks");
    }

    [Fact]
    public void PreparingFreezesTheMaskerAndRestoresIt()
    {
        var (task, _, _) = Batch();
        task.Masker.train();
        var target = new PredictedMaskTarget(task.Masker, new ModuleTarget(task.Classifier), MaskMode.Soft, GradientPath.ThroughSoftMask);
        using (target.Prepare(Precision.Fp32))
        {
            Assert.False(task.Masker.training);
            Assert.All(task.Masker.parameters(), p => Assert.False(p.requires_grad));
        }
        Assert.True(task.Masker.training);
        Assert.All(task.Masker.parameters(), p => Assert.True(p.requires_grad));
        task.Masker.eval();
        Assert.Throws<MaskbenchException>(() => target.Prepare(Precision.Bf16));
    }
}
