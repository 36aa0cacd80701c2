using Maskbench.Attacks;
using Maskbench.Experiments.Mnist;
using TorchSharp;
using static TorchSharp.torch;

namespace Maskbench.Tests.Experiments.Mnist;

public class ThresholdTargetTests
{
    /// <summary>A linear "model" whose logits are (sum of pixels, −sum of pixels): easy to reason about.</summary>
    sealed class SumTarget : IAttackTarget
    {
        public Tensor Logits(Tensor inputs)
        {
            var s = inputs.flatten(1).sum(1, keepdim: true);
            return cat([s, -s], 1);
        }
        public IAttackTarget Select(Tensor indices) => this;
    }

    [Fact]
    public void ForwardThresholdsAndTheTrueGradientIsZeroWhileBpdaPassesItThrough()
    {
        using var x = tensor(new float[] { 0.2f, 0.7f, 0.5f, 0.49f }, [1, 1, 2, 2]);
        var threshold = new ThresholdTarget(new SumTarget());
        // Pixels ≥ 0.5 count as 1: 0.7 and 0.5.
        Assert.Equal(2f, threshold.Logits(x)[0, 0].item<float>());

        Tensor GradientOf(IAttackTarget target)
        {
            var point = x.detach().requires_grad_(true);
            using var _ = enable_grad();
            var logit = target.LogitsForGradient(point)[0, 0];
            return autograd.grad([logit], [point])[0];
        }
        Assert.Equal(0f, GradientOf(threshold).abs().sum().item<float>());
        // Straight-through: d(sum)/dx = 1 for every pixel.
        var bpda = new PreprocessedTarget(new Binarize(0.5), new SumTarget());
        Assert.Equal(new float[] { 1, 1, 1, 1 }, GradientOf(bpda).flatten().data<float>().ToArray());
    }

    [Fact]
    public void PlainPgdCannotMoveAThresholdedModelBeyondItsRandomStart()
    {
        // Binary images: with ε = 0.3 no pixel can cross 0.5, and the zero gradient gives PGD nothing else to use.
        using var x = tensor(new float[] { 1, 1, 0, 0, 0, 0, 1, 1 }, [2, 1, 2, 2]);
        using var y = tensor(new long[] { 0, 0 });
        var target = new ThresholdTarget(new SumTarget());
        using var plain = new PgdAttack { Steps = 10, Seed = 1 }.Run(target, x, y, ThreatModel.Linf(0.3));
        Assert.Equal(0, plain.FooledCount);
        // The straight-through attack sees the gradient but still cannot cross the threshold at ε = 0.3.
        using var bpda = new PgdAttack { Steps = 10, Seed = 1 }.Run(new PreprocessedTarget(new Binarize(0.5), new SumTarget()), x, y,
            ThreatModel.Linf(0.3));
        Assert.Equal(0, bpda.FooledCount);
    }
}
