using Maskbench.Runtime;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Maskbench.Models;

/// <summary>
/// Runs a layer whose backward pass is slower on several OpenMP threads than on one, with its backward pass on one
/// thread of the calling thread's OpenMP team and every other layer's as before. Two identity nodes bracket the
/// layer in the autograd graph: the one after it sets one thread when the gradient reaches it (just before the
/// layer's backward runs), the one before it restores the count when the layer's input gradient leaves it.
/// <para>
/// The case it serves: libtorch's channels-last batch-norm backward reduces into one row of C accumulators per
/// thread, rows side by side; with fewer than 16 float32 channels two threads' rows share a 64-byte cache line
/// and every step of the loop contends for it. At 8 channels (VGG's first block at width 1/8) the backward took
/// 1.9 ms on two threads against 0.7 ms on one (batch 64, 32×32). The values are the single-threaded kernel's.
/// </para>
/// </summary>
public static class OneThreadBackward
{
    [ThreadStatic] static int _restoreTo;

    /// <summary><paramref name="layer"/>(<paramref name="input"/>), its backward pass on one OpenMP thread.</summary>
    public static Tensor Apply(Tensor input, Func<Tensor, Tensor> layer)
    {
        // A backward pass that stopped between the two nodes (gradients asked of the layer's parameters only) left
        // one thread set: restore it before the next layer runs.
        if (_restoreTo > 0) { OpenMpThreads.Set(_restoreTo); _restoreTo = 0; }
        if (!is_grad_enabled() || !OpenMpThreads.Available || OpenMpThreads.Current <= 1) return layer(input);
        return SetOneThread.apply(layer(RestoreThreads.apply(input)));
    }

    /// <summary>Whether channels-last float32 batch norm over <paramref name="channels"/> channels shares cache lines
    /// between threads' accumulators (rows under 64 bytes).</summary>
    public static bool BatchNormContends(long channels) => channels * sizeof(float) < 64;

    sealed class SetOneThread : SingleTensorFunction<SetOneThread>
    {
        public override string Name => nameof(SetOneThread);

        public override Tensor forward(AutogradContext ctx, params object[] vars) => ((Tensor)vars[0]).detach();

        public override List<Tensor> backward(AutogradContext ctx, Tensor grad_output)
        {
            if (_restoreTo == 0) _restoreTo = OpenMpThreads.Current;
            OpenMpThreads.Set(1);
            return [grad_output];
        }
    }

    sealed class RestoreThreads : SingleTensorFunction<RestoreThreads>
    {
        public override string Name => nameof(RestoreThreads);

        public override Tensor forward(AutogradContext ctx, params object[] vars) => ((Tensor)vars[0]).detach();

        public override List<Tensor> backward(AutogradContext ctx, Tensor grad_output)
        {
            if (_restoreTo > 0) OpenMpThreads.Set(_restoreTo);
            _restoreTo = 0;
            return [grad_output];
        }
    }
}
