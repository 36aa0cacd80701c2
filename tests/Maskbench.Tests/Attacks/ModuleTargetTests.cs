using Maskbench.Attacks;
using Maskbench.Models;
using Maskbench.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Maskbench.Tests.Attacks;

/// <summary>ModuleTarget running a classifier's frozen (batch-norm-folded) form during attacks.</summary>
public class ModuleTargetTests
{
    static (ImageClassifier Model, Tensor X, Tensor Y) Fixture(int seed, int n)
    {
        var model = Support.SeededWeights.Apply(ModelFactory.Create("vgg11", classes: 5, inputSize: 32, width: 1.0 / 8), seed);
        var x = rand(new long[] { n, 3, 32, 32 }, generator: new Generator((ulong)seed));
        // Running statistics from the data itself, so the logits depend on the input (a fresh network's do barely).
        model.train();
        using (no_grad())
            for (int i = 0; i < 30; i++) model.call(x);
        model.eval();
        Tensor y;
        using (no_grad()) y = model.call(x).argmax(1);   // every example starts correctly classified
        return (model, x, y);
    }

    [Fact]
    public void Pgd_finds_the_same_examples_through_the_frozen_form_as_through_the_module()
    {
        using var scope = NewDisposeScope();
        var (model, x, y) = Fixture(11, 24);
        using var _ = model;
        var threat = ThreatModel.Linf(1.0 / 255);
        using var frozen = new PgdAttack { Steps = 5, Seed = 3 }.Run(new ModuleTarget(model), x, y, threat);
        using var plain = new PgdAttack { Steps = 5, Seed = 3 }.Run(new ModuleTarget(model) { Freeze = false }, x, y, threat);
        Assert.InRange(plain.FooledCount, 1, 23);   // the budget fools some examples, not all: a real comparison
        Assert.Equal(plain.Examples.Select(e => e.Fooled), frozen.Examples.Select(e => e.Fooled));
        Assert.Equal(plain.Examples.Select(e => e.Step), frozen.Examples.Select(e => e.Step));
        for (int i = 0; i < plain.Examples.Count; i++) Assert.Equal(plain.Examples[i].Margin, frozen.Examples[i].Margin, 1e-4);
    }

    [Fact]
    public void A_frozen_bf16_attack_leaves_the_model_exactly_as_it_was()
    {
        using var scope = NewDisposeScope();
        var (model, x, y) = Fixture(12, 8);
        using var _ = model;
        model.train();
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var target = new ModuleTarget(model);
        using var result = new PgdAttack { Steps = 3, Precision = Precision.Bf16 }.Run(target, x, y, ThreatModel.Linf(2.0 / 255));
        Assert.True(model.training);
        foreach (var (key, value) in model.state_dict())
        {
            Assert.Equal(before[key].dtype, value.dtype);
            Assert.True(value.eq(before[key]).all().item<bool>(), key);
        }
        Assert.All(model.parameters(), p => Assert.True(p.requires_grad));
        // After the attack the target runs the module again, in float32.
        using (no_grad()) Assert.True(target.Logits(x).eq(model.call(x)).all().item<bool>());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_masked_bf16_attack_with_restarts_reports_the_float32_verdict_at_each_kept_input(bool earlyStop)
    {
        // bf16 searches leave their last iterate to the float32 model and reuse float32 logits where they have them;
        // whatever path each row took, its record must be what the float32 module says at the returned input.
        using var scope = NewDisposeScope();
        var (model, x, _) = Fixture(14, 24);
        using var owned = model;
        var mask = (rand(new long[] { 24, 1, 32, 32 }, generator: new Generator(15)) > 0.4).to_type(ScalarType.Float32);
        Tensor y;
        using (no_grad()) y = model.call(x * mask).argmax(1);   // the masked model's own predictions: all correct when clean
        var threat = ThreatModel.Linf(0.25 / 255, mask);
        using var result = new PgdAttack { Steps = 4, Restarts = 2, Seed = 5, EarlyStop = earlyStop, Precision = Precision.Bf16 }
            .Run(new ModuleTarget(model, mask), x, y, threat);
        Assert.Empty(threat.Check(x, result.Adversarial));
        Tensor logits;
        using (no_grad()) logits = model.call(result.Adversarial * mask);
        var fooled = logits.argmax(1).ne(y).data<bool>().ToArray();
        Assert.Equal(fooled, result.Examples.Select(e => e.Fooled).ToArray());
        Assert.InRange(result.FooledCount, 1, 23);
        var margins = AttackObjectives.Margin(logits, y).to_type(ScalarType.Float64).data<double>().ToArray();
        for (int i = 0; i < margins.Length; i++) Assert.Equal(margins[i], result.Examples[i].Margin, 1e-4);
    }
}
