using Maskbench.Models;
using Maskbench.Runtime;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Maskbench.Tests.Models;

public class OneThreadBackwardTests
{
    static Tensor ChannelsLast(Tensor t) => t.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);

    [Fact]
    public void OpenMp_thread_count_of_the_calling_thread_is_set_and_read_in_libtorchs_runtime()
    {
        Assert.True(!OperatingSystem.IsLinux() || OpenMpThreads.Available, "libtorch's libgomp was not found in /proc/self/maps");
        int before = OpenMpThreads.Current;
        try
        {
            OpenMpThreads.Set(1);
            Assert.Equal(1, OpenMpThreads.Current);
            Assert.Equal(1, get_num_threads());   // libtorch reads the same setting
            OpenMpThreads.Set(2);
            Assert.Equal(2, OpenMpThreads.Current);
            Assert.Equal(2, get_num_threads());
        }
        finally { OpenMpThreads.Set(before); }
    }

    /// <summary>
    /// Channels-last batch norm over 8 channels on two threads: every gradient equals, bit for bit, the one libtorch's
    /// single-threaded kernel gives for the same forward pass, agrees with float64, and the thread count is two again
    /// after the backward pass.
    /// </summary>
    [Fact]
    public void Batch_norm_gradients_are_the_single_threaded_kernels_and_the_thread_count_comes_back()
    {
        int before = OpenMpThreads.Current;
        try
        {
            OpenMpThreads.Set(2);
            manual_seed(3);
            var x = ChannelsLast(randn(16, 8, 16, 16) * 2 + 0.5);
            var weight = rand(8) + 0.5;
            var bias = randn(8);
            var upstream = ChannelsLast(randn(16, 8, 16, 16));

            (Tensor, Tensor, Tensor) Gradients(Tensor input, Tensor w, Tensor b, Tensor g, bool bracketed, bool oneThreadOracle)
            {
                var xi = input.detach().requires_grad_(true);
                var wi = w.detach().requires_grad_(true);
                var bi = b.detach().requires_grad_(true);
                Tensor Norm(Tensor t) => F.batch_norm(t, zeros(8, dtype: t.dtype), ones(8, dtype: t.dtype), wi, bi, training: true);
                var y = bracketed ? OneThreadBackward.Apply(xi, Norm) : Norm(xi);
                if (oneThreadOracle) OpenMpThreads.Set(1);
                y.backward([g]);
                if (oneThreadOracle) OpenMpThreads.Set(2);
                return (xi.grad!, wi.grad!, bi.grad!);
            }

            var (gx, gw, gb) = Gradients(x, weight, bias, upstream, bracketed: true, oneThreadOracle: false);
            Assert.Equal(2, OpenMpThreads.Current);
            var (ox, ow, ob) = Gradients(x, weight, bias, upstream, bracketed: false, oneThreadOracle: true);
            Assert.True(gx.equal(ox).all().item<bool>(), "input gradient differs from the single-threaded kernel's");
            Assert.True(gw.equal(ow).all().item<bool>(), "weight gradient differs from the single-threaded kernel's");
            Assert.True(gb.equal(ob).all().item<bool>(), "bias gradient differs from the single-threaded kernel's");

            var (dx, dw, db) = Gradients(x.to_type(ScalarType.Float64).contiguous(), weight.to_type(ScalarType.Float64),
                bias.to_type(ScalarType.Float64), upstream.to_type(ScalarType.Float64).contiguous(), bracketed: false, oneThreadOracle: false);
            Assert.True(gx.to_type(ScalarType.Float64).allclose(dx, rtol: 1e-4, atol: 1e-5), "input gradient is not float64's");
            Assert.True(gw.to_type(ScalarType.Float64).allclose(dw, rtol: 1e-4, atol: 1e-4), "weight gradient is not float64's");
            Assert.True(gb.to_type(ScalarType.Float64).allclose(db, rtol: 1e-4, atol: 1e-4), "bias gradient is not float64's");
        }
        finally { OpenMpThreads.Set(before); }
    }

    [Fact]
    public void A_backward_pass_that_stops_inside_the_bracket_leaves_one_thread_only_until_the_next_forward_pass()
    {
        int before = OpenMpThreads.Current;
        try
        {
            OpenMpThreads.Set(2);
            var x = ChannelsLast(randn(4, 8, 8, 8)).requires_grad_(true);
            var weight = ones(8).requires_grad_(true);
            Tensor Norm(Tensor t) => F.batch_norm(t, zeros(8), ones(8), weight, null, training: true);
            var y = OneThreadBackward.Apply(x * 1, Norm);
            // Only the weight's gradient: the engine never reaches the node that restores the count.
            autograd.grad([y.sum()], [weight]);
            Assert.Equal(1, OpenMpThreads.Current);
            using (var again = OneThreadBackward.Apply(x * 1, Norm)) Assert.Equal(2, OpenMpThreads.Current);
        }
        finally { OpenMpThreads.Set(before); }
    }
}
