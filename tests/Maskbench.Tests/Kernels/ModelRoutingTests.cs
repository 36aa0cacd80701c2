using Maskbench.Attacks;
using Maskbench.Kernels;
using Maskbench.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Maskbench.Tests.Kernels;

/// <summary>Models and attacks on a machine whose convolution kernel is wrong (simulated as the one seen): checked, rerouted, right.</summary>
[Collection(KernelStateCollection.Name)]
public class ModelRoutingTests
{
    static ImageClassifier Model(string arch, int size, int channels, double width) =>
        RoutingFixtures.Model(arch, size, channels, width, seed: 9);

    static Tensor InputGradient(Func<Tensor, Tensor> forward, Tensor x)
    {
        var leaf = x.detach().requires_grad_(true);
        var logits = forward(leaf);
        var upstream = ones_like(logits).cumsum(1).cos();
        return autograd.grad([logits], [leaf], [upstream.to_type(logits.dtype)])[0].to_type(ScalarType.Float64);
    }

    /// <summary>
    /// The gradient of the same scalar with respect to the first convolution's weight: training's view, which passes through every later layer's
    /// input gradient.
    /// </summary>
    static Tensor FirstWeightGradient(ImageClassifier model, Tensor x)
    {
        var first = model.parameters().First(p => p.dim() == 4);
        var logits = model.call(x);
        var upstream = ones_like(logits).cumsum(1).cos();
        return autograd.grad([logits], [first], [upstream])[0].to_type(ScalarType.Float64);
    }

    static double Relative(Tensor a, Tensor reference) => RoutingFixtures.Relative(a, reference);

    [Theory]
    [InlineData("vgg11", 32, 3, 0.0625)]   // 4 and 8 channels: the fault reaches earlier layers' weight gradients
    [InlineData("smallcnn", 28, 1, 0.125)]
    [InlineData("preactresnet18", 16, 3, 0.125)]
    public void Our_models_give_right_input_gradients_under_a_wrong_kernel(string arch, int size, int channels, double width)
    {
        using var state = new KernelState(fault: SimulatedKernelFault.BackwardInput, freshCache: true);
        using var scope = NewDisposeScope();
        using var model = Model(arch, size, channels, width);
        var x = rand([4, channels, size, size], generator: new Generator(2));
        using var frozen = model.Freeze(ScalarType.Float32);
        using var record = KernelChecks.Record();
        var module32 = InputGradient(model.call, x);
        var frozen32 = frozen is null ? null : InputGradient(frozen.Forward, x);
        Tensor Unchecked(Func<Tensor, Tensor> forward)
        {
            KernelChecks.TrustUnchecked = true;
            try { return InputGradient(forward, x); }
            finally { KernelChecks.TrustUnchecked = false; }
        }
        var moduleUnchecked = Unchecked(model.call);
        var weight32 = FirstWeightGradient(model, x);
        KernelChecks.TrustUnchecked = true;
        Tensor weightUnchecked;
        try { weightUnchecked = FirstWeightGradient(model, x); }
        finally { KernelChecks.TrustUnchecked = false; }
        Assert.True(record.Provenance().Rerouted >= 1, record.Provenance().Summary);
        model.to(ScalarType.Float64);
        var truth = InputGradient(model.call, x.to_type(ScalarType.Float64));
        var weightTruth = FirstWeightGradient(model, x.to_type(ScalarType.Float64));
        Assert.True(Relative(weight32, weightTruth) < 1e-4, $"first weight gradient: {Relative(weight32, weightTruth)}");
        Assert.True(Relative(weightUnchecked, weightTruth) > 0.05, $"first weight gradient, unchecked: {Relative(weightUnchecked, weightTruth)}");
        Assert.True(Relative(module32, truth) < 1e-4, $"module: {Relative(module32, truth)}");
        if (frozen32 is not null) Assert.True(Relative(frozen32, truth) < 1e-4, $"frozen form: {Relative(frozen32, truth)}");
        // The teeth: libtorch's kernel as the fault simulates it, unchecked, is far off.
        Assert.True(Relative(moduleUnchecked, truth) > 0.05, $"unchecked: {Relative(moduleUnchecked, truth)}");
    }

    [Fact]
    public void Pgd_under_a_wrong_kernel_finds_what_pgd_with_right_kernels_finds()
    {
        using var scope = NewDisposeScope();
        using var model = Model("smallcnn", 28, 1, 0.25);
        var x = rand([32, 1, 28, 28], generator: new Generator(4));
        Tensor y;
        using (no_grad()) y = model.call(x).argmax(1);
        var attack = new PgdAttack { Steps = 10, RandomStart = false, EarlyStop = false, StepSize = 0.0005 };
        var threat = ThreatModel.Linf(0.002);
        AttackResult Run(SimulatedKernelFault fault, bool trust = false)
        {
            using var state = new KernelState(fault: fault, freshCache: true);
            KernelChecks.TrustUnchecked = trust;
            try { return attack.Run(new ModuleTarget(model), x, y, threat); }
            finally { KernelChecks.TrustUnchecked = false; }
        }
        using var right = Run(SimulatedKernelFault.None);
        using var routed = Run(SimulatedKernelFault.BackwardInput);
        using var wrong = Run(SimulatedKernelFault.BackwardInput, trust: true);
        // a budget that fools some, not all: a real comparison
        Assert.True(right.FooledCount is >= 4 and <= 28, $"fooled {right.FooledCount} of 32");
        // Different kernels round differently; verdicts may differ only where the final margin is a near tie.
        for (int i = 0; i < 32; i++)
            if (right.Examples[i].Fooled != routed.Examples[i].Fooled)
                Assert.True(Math.Abs(right.Examples[i].Margin) < 1e-3,
                    $"example {i}: margins {right.Examples[i].Margin} and {routed.Examples[i].Margin}");
        Assert.True(Math.Abs(right.FooledCount - routed.FooledCount) <= 1);
        double drift = (right.Adversarial - routed.Adversarial).abs().mean().item<float>();
        double wrongDrift = (right.Adversarial - wrong.Adversarial).abs().mean().item<float>();
        Assert.True(drift < 0.1 * wrongDrift, $"routed drift {drift}, unchecked drift {wrongDrift}");
    }

    /// <summary>A module Maskbench cannot route layer by layer, whose convolution is the (simulated) wrong kernel.</summary>
    sealed class OpaqueNet : nn.Module<Tensor, Tensor>
    {
        readonly Conv2d conv = nn.Conv2d(3, 8, 3, padding: 1);
        readonly Linear head = nn.Linear(8 * 8 * 8, 4);

        public OpaqueNet() : base("OpaqueNet") => RegisterComponents();

        public override Tensor forward(Tensor x)
        {
            var y = ConvolutionRoute.Direct.Instance.Run(x, conv.weight!.to_type(x.dtype), conv.bias!.to_type(x.dtype), 8,
                ConvolutionGeometry.Same(1, 1));
            return head.call(nn.functional.relu(y).flatten(1));
        }
    }

    [Fact]
    public void A_module_it_cannot_route_is_checked_whole_and_runs_in_float64_where_wrong()
    {
        using var state = new KernelState(fault: SimulatedKernelFault.BackwardInput);
        using var scope = NewDisposeScope();
        manual_seed(3);
        var model = new OpaqueNet();
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var x = rand([6, 3, 8, 8], generator: new Generator(8));
        var target = new ModuleTarget(model);
        Tensor gradient;
        using (var record = KernelChecks.Record())
        {
            using (target.Prepare(Precision.Fp32)) gradient = InputGradient(target.Logits, x);
            var use = Assert.Single(record.Provenance().Uses);
            Assert.Equal("float64", use.Route);
            Assert.False(use.DirectPassed);
        }
        foreach (var (key, value) in model.state_dict())
        {
            Assert.Equal(ScalarType.Float32, value.dtype);
            Assert.True(value.eq(before[key]).all().item<bool>(), key);
        }
        Assert.All(model.parameters(), p => Assert.True(p.requires_grad));
        model.to(ScalarType.Float64);
        var truth = InputGradient(model.call, x.to_type(ScalarType.Float64));
        Assert.True(Relative(gradient, truth) < 1e-5, $"{Relative(gradient, truth)}");
    }
}
