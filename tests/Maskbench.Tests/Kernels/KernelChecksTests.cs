using Maskbench.Kernels;
using static TorchSharp.torch;

namespace Maskbench.Tests.Kernels;

[Collection(KernelStateCollection.Name)]
public class KernelChecksTests
{
    /// <summary>Output and input gradient of ⟨g, conv(x, w)⟩ through <see cref="CheckedConvolution"/>, and the float64 truth.</summary>
    static (double OutputError, double GradientError) CheckedAgainstFloat64(Tensor x, Tensor w, Tensor b, ConvolutionGeometry g, Func<Tensor, Tensor,
        Tensor, Tensor>? convolve = null)
    {
        using var scope = NewDisposeScope();
        convolve ??= (xi, wi, bi) => CheckedConvolution.Apply(xi, wi, bi, g);
        var leaf = x.detach().requires_grad_(true);
        var y = convolve(leaf, w, b);
        var upstream = ones_like(y).cumsum(1).sin();
        var gx = autograd.grad([y], [leaf], [upstream])[0].to_type(ScalarType.Float64);
        var leaf64 = x.detach().to_type(ScalarType.Float64).requires_grad_(true);
        var y64 = nn.functional.conv2d(leaf64, w.to_type(ScalarType.Float64), b.to_type(ScalarType.Float64), g.Strides, g.Paddings);
        var gx64 = autograd.grad([y64], [leaf64], [upstream.to_type(ScalarType.Float64)])[0];
        double Rel(Tensor a, Tensor r) => (a.to_type(ScalarType.Float64) - r).abs().max().item<double>() / r.abs().max().item<double>();
        return (Rel(y.detach(), y64.detach()), Rel(gx, gx64));
    }

    static (Tensor X, Tensor W, Tensor B) Problem(int n, int cin, int cout, bool channelsLast = false)
    {
        using var generator = new Generator(3);
        var x = rand([n, cin, 12, 12], generator: generator);
        var w = randn([cout, cin, 3, 3], generator: generator) * 0.3;
        if (channelsLast)
        {
            x = x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
            w = w.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
        }
        return (x, w, randn([cout], generator: generator) * 0.1);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_failing_verdict_switches_the_route_and_the_result_stays_right(bool channelsLast)
    {
        using var state = new KernelState(fault: SimulatedKernelFault.BackwardInput, freshCache: true);
        using var scope = NewDisposeScope();
        var (x, w, b) = Problem(4, 3, 8, channelsLast);
        var g = ConvolutionGeometry.Same(1, 1);
        // Without the check the simulated kernel is wrong, as the one seen was: right outputs, wrong input gradient.
        var unchecked_ = CheckedAgainstFloat64(x, w, b, g, (xi, wi, bi) => ConvolutionRoute.Direct.Instance.Run(xi, wi, bi, 8, g));
        Assert.True(unchecked_.OutputError < 1e-5 && unchecked_.GradientError > 0.1, $"{unchecked_}");
        // Checked: rerouted, and right.
        var verdict = KernelChecks.For(ConvolutionShape.Of(x, w, b, g));
        Assert.False(verdict.Direct.Passed);
        Assert.True(verdict.Rerouted);
        Assert.IsType<ConvolutionRoute.PaddedChannels>(verdict.Route);
        var checkedErrors = CheckedAgainstFloat64(x, w, b, g);
        Assert.True(checkedErrors.OutputError < 1e-5 && checkedErrors.GradientError < 1e-5, $"{checkedErrors}");
        // A shape the fault spares keeps libtorch's own kernel.
        var (x16, w16, b16) = Problem(4, 3, 16, channelsLast);
        Assert.False(KernelChecks.For(ConvolutionShape.Of(x16, w16, b16, g)).Rerouted);
    }

    [Fact]
    public void Reroute_and_float64_policies_never_use_libtorchs_own_kernel_and_agree_with_it()
    {
        using var scope = NewDisposeScope();
        var (x, w, b) = Problem(4, 3, 16);
        var g = ConvolutionGeometry.Same(1, 1);
        foreach (var policy in new[] { KernelPolicy.Reroute, KernelPolicy.Float64 })
        {
            using var state = new KernelState(policy, freshCache: true);
            var verdict = KernelChecks.For(ConvolutionShape.Of(x, w, b, g));
            Assert.True(verdict.Rerouted, policy.ToString());
            if (policy == KernelPolicy.Float64) Assert.IsType<ConvolutionRoute.Float64>(verdict.Route);
            var errors = CheckedAgainstFloat64(x, w, b, g);
            Assert.True(errors.OutputError < 1e-5 && errors.GradientError < 1e-5, $"{policy}: {errors}");
        }
    }

    [Fact]
    public void Verdicts_are_cached_on_disk_and_a_damaged_cache_is_replaced()
    {
        using var state = new KernelState(freshCache: true);
        var shape = new ConvolutionShape("float32", TensorLayout.Contiguous, TensorLayout.Contiguous, 2, 3, 12, 10, 10, 3, 3,
            ConvolutionGeometry.Same(1, 1), true, get_num_threads());
        int before = ConvolutionProbe.Runs;
        var first = KernelChecks.For(shape);
        Assert.True(ConvolutionProbe.Runs > before);
        var file = Assert.Single(Directory.GetFiles(state.CacheFolder!, "*.json"));
        Assert.Contains("\"OutChannels\": 12", File.ReadAllText(file), StringComparison.Ordinal);
        KernelChecks.Reset();   // a new process, as far as verdicts go
        int afterFirst = ConvolutionProbe.Runs;
        var second = KernelChecks.For(shape);
        Assert.Equal(afterFirst, ConvolutionProbe.Runs);
        Assert.Equal(first.Direct, second.Direct);
        File.WriteAllText(file, "{ not json");
        KernelChecks.Reset();
        var third = KernelChecks.For(shape);
        Assert.True(ConvolutionProbe.Runs > afterFirst);
        Assert.Equal(first.Route, third.Route);
        Assert.Contains("Probes", File.ReadAllText(file));
    }

    [Fact]
    public void Padding_candidates_are_cheapest_first_and_change_the_shape_when_rerouting()
    {
        var shape = new ConvolutionShape("float32", TensorLayout.ChannelsLast, TensorLayout.ChannelsLast, 2, 1, 16, 28, 28, 5, 5,
            ConvolutionGeometry.Same(1, 2), true, 1);
        var auto = KernelChecks.PaddingCandidates(shape, mustChange: false).ToList();
        Assert.Equal(new ConvolutionRoute.PaddedChannels(1, 16), auto[0]);
        Assert.True(auto.Zip(auto.Skip(1)).All(p => (long)p.First.InChannels * p.First.OutChannels <= (long)p.Second.InChannels
            * p.Second.OutChannels));
        var reroute = KernelChecks.PaddingCandidates(shape, mustChange: true).ToList();
        Assert.DoesNotContain(new ConvolutionRoute.PaddedChannels(1, 16), reroute);
        Assert.Contains(new ConvolutionRoute.PaddedChannels(4, 16), reroute);
        Assert.Empty(KernelChecks.PaddingCandidates(shape with { Geometry = shape.Geometry with { Groups = 2 } }, mustChange: false));
    }

    [Fact]
    public void A_record_collects_the_verdicts_used_and_says_which_were_rerouted()
    {
        using var state = new KernelState(fault: SimulatedKernelFault.BackwardInput, freshCache: true);
        using var scope = NewDisposeScope();
        var g = ConvolutionGeometry.Same(1, 1);
        using var record = KernelChecks.Record();
        var (x, w, b) = Problem(4, 3, 8);
        CheckedConvolution.Apply(x, w, b, g);
        var (x16, w16, b16) = Problem(4, 3, 16);
        CheckedConvolution.Apply(x16, w16, b16, g);
        var provenance = record.Provenance();
        Assert.Equal(2, provenance.Checked);
        Assert.Equal(1, provenance.Rerouted);
        Assert.Contains("simulated fault backward-input", provenance.Machine);
        var rerouted = Assert.Single(provenance.Uses, u => u.Route != "direct");
        Assert.Contains("3→8", rerouted.Subject);
        Assert.False(rerouted.DirectPassed);
        Assert.Contains("1 rerouted", provenance.Summary);
    }
}
