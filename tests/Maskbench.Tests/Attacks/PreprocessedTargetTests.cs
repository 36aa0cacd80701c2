using Maskbench.Attacks;
using Maskbench.Runtime;
using static TorchSharp.torch;

namespace Maskbench.Tests.Attacks;

public class PreprocessedTargetTests
{
    [Fact]
    public void BinarizedModelIsJudgedExactlyAndAttackedThroughTheStraightThroughGradient()
    {
        using var scope = NewDisposeScope();
        var model = AttackFixtures.RandomConvNet(8);
        model.eval();
        // Inputs close to the threshold so that ε can flip bits.
        var x = AttackFixtures.Inputs(8, 16, low: 0.45, high: 0.55);
        var binarize = new Binarize(0.5);
        var target = new PreprocessedTarget(binarize, new ModuleTarget(model));
        var y = AttackFixtures.Labels(model, binarize.Forward(x));
        using (no_grad()) Assert.True(target.Logits(x).allclose(model.call(binarize.Forward(x))));

        // The exact binarization has zero gradient almost everywhere; the substitute passes the model's gradient.
        var leaf = x.detach().requires_grad_(true);
        var g = autograd.grad(new[] { target.LogitsForGradient(leaf).sum() }, new[] { leaf })[0];
        var binaryLeaf = binarize.Forward(x).requires_grad_(true);
        var expected = autograd.grad(new[] { model.call(binaryLeaf).sum() }, new[] { binaryLeaf })[0];
        Assert.True(g.allclose(expected));

        var threat = ThreatModel.Linf(0.06);
        using var result = new PgdAttack { Steps = 10, Seed = 1 }.Run(target, x, y, threat);
        Assert.True(result.FooledCount > 0);
        Assert.Empty(threat.Check(x, result.Adversarial));
        var judged = AttackFixtures.Labels(model, binarize.Forward(result.Adversarial)).ne(y).data<bool>().ToArray();
        Assert.Equal(judged, result.Examples.Select(e => e.Fooled).ToArray());
    }
}
