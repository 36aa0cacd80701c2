using static TorchSharp.torch;

namespace Maskbench.Kernels;

/// <summary>
/// A way to compute a convolution (forward, input gradient and weight gradient through autograd) that gives the same
/// function as libtorch's <c>conv2d</c> in exact arithmetic. A kernel check picks, per shape, the first route whose
/// results agree with float64 (see <see cref="KernelChecks"/>).
/// </summary>
public abstract record ConvolutionRoute
{
    /// <summary>
    /// Stable name, as recorded in results: <c>direct</c>, <c>unfolded</c>, <c>unfolded-weight</c>, <c>padded:CINxCOUT</c>,
    /// <c>float64</c>.
    /// </summary>
    public abstract string Name { get; }

    public sealed override string ToString() => Name;

    /// <summary>The weight and bias this route runs with (zero-padded or converted); differentiable in the originals.</summary>
    internal abstract (Tensor Weight, Tensor? Bias) PrepareWeights(Tensor weight, Tensor? bias);

    /// <summary>
    /// The convolution of <paramref name="input"/> with prepared weights, cut back to <paramref name="outChannels"/>, in the input's dtype.
    /// </summary>
    internal abstract Tensor Run(Tensor input, Tensor weight, Tensor? bias, long outChannels, ConvolutionGeometry geometry);

    public static ConvolutionRoute Parse(string name)
    {
        if (name == Direct.Instance.Name) return Direct.Instance;
        if (name == Float64.Instance.Name) return Float64.Instance;
        if (name == Unfolded.Instance.Name) return Unfolded.Instance;
        if (name == UnfoldedWeight.Instance.Name) return UnfoldedWeight.Instance;
        if (name.StartsWith("padded:", StringComparison.Ordinal))
        {
            var parts = name["padded:".Length..].Split('x');
            if (parts.Length == 2 && int.TryParse(parts[0], out int cin) && int.TryParse(parts[1], out int cout) && cin > 0 && cout > 0)
                return new PaddedChannels(cin, cout);
        }
        throw new MaskbenchException($"unknown convolution route '{name}'; expected direct, unfolded, unfolded-weight, padded:CINxCOUT or float64");
    }

    /// <summary>libtorch's own conv2d (oneDNN on x86 CPUs for float32 and bfloat16).</summary>
    public sealed record Direct : ConvolutionRoute
    {
        public static readonly Direct Instance = new();
        public override string Name => "direct";

        internal override (Tensor Weight, Tensor? Bias) PrepareWeights(Tensor weight, Tensor? bias) => (weight, bias);

        internal override Tensor Run(Tensor input, Tensor weight, Tensor? bias, long outChannels, ConvolutionGeometry geometry) =>
            Convolve(input, weight, bias, geometry);
    }

    /// <summary>
    /// The convolution as matrix products on the unfolded input (<see cref="UnfoldedConvolution"/>), which libtorch runs
    /// with its matrix-product kernels instead of oneDNN's convolutions: chosen, where it agrees with float64, for the
    /// shapes on which it is the faster (<see cref="UnfoldedConvolution.FasterRoute"/>).
    /// </summary>
    public sealed record Unfolded : ConvolutionRoute
    {
        public static readonly Unfolded Instance = new();
        public override string Name => "unfolded";

        internal override (Tensor Weight, Tensor? Bias) PrepareWeights(Tensor weight, Tensor? bias) => (weight, bias);

        // No simulated fault here: those stand for wrong convolution kernels, and this route runs none.
        internal override Tensor Run(Tensor input, Tensor weight, Tensor? bias, long outChannels, ConvolutionGeometry geometry) =>
            UnfoldedConvolution.Apply(input, weight, bias, geometry);
    }

    /// <summary>
    /// libtorch's own conv2d for the output and the input gradient, the weight and bias gradients as matrix products on the
    /// unfolded input (<see cref="UnfoldedConvolution.ApplyWithUnfoldedWeightGradient"/>): chosen, where it agrees with
    /// float64, for training passes on the shapes where only oneDNN's weight-gradient kernel is slow
    /// (<see cref="UnfoldedConvolution.FasterRoute"/>).
    /// </summary>
    public sealed record UnfoldedWeight : ConvolutionRoute
    {
        public static readonly UnfoldedWeight Instance = new();
        public override string Name => "unfolded-weight";

        internal override (Tensor Weight, Tensor? Bias) PrepareWeights(Tensor weight, Tensor? bias) => (weight, bias);

        // The output and input gradient come from libtorch's conv2d through Convolve, simulated faults included.
        internal override Tensor Run(Tensor input, Tensor weight, Tensor? bias, long outChannels, ConvolutionGeometry geometry) =>
            UnfoldedConvolution.ApplyWithUnfoldedWeightGradient(input, weight, bias, geometry);
    }

    /// <summary>
    /// The convolution with zero channels added: input channels up to <paramref name="InChannels"/> (zero maps and zero
    /// weight columns) and output channels up to <paramref name="OutChannels"/> (zero filters), then the extra outputs cut
    /// off. Zeros add nothing to any sum, so the function and its gradients are unchanged; the kernels that run are those
    /// of the padded shape, which the check verified.
    /// </summary>
    public sealed record PaddedChannels(int InChannels, int OutChannels) : ConvolutionRoute
    {
        public override string Name => $"padded:{InChannels}x{OutChannels}";

        internal override (Tensor Weight, Tensor? Bias) PrepareWeights(Tensor weight, Tensor? bias)
        {
            using var scope = NewDisposeScope();
            var layout = ConvolutionShape.LayoutOf(weight);
            long cout = weight.shape[0], cin = weight.shape[1], kh = weight.shape[2], kw = weight.shape[3];
            if (cin > InChannels || cout > OutChannels)
                throw new InvalidOperationException($"route {Name} cannot hold a {cin}→{cout} convolution");
            var w = weight;
            if (InChannels > cin) w = cat([w, zeros([cout, InChannels - cin, kh, kw], weight.dtype, weight.device)], 1);
            if (OutChannels > cout) w = cat([w, zeros([OutChannels - cout, InChannels, kh, kw], weight.dtype, weight.device)], 0);
            w = Layouts.To(w, layout);
            Tensor? b = bias is null || OutChannels == cout ? bias : cat([bias, zeros([OutChannels - cout], bias.dtype, bias.device)], 0);
            return (w.MoveToOuterDisposeScope(), ReferenceEquals(b, bias) ? b : b!.MoveToOuterDisposeScope());
        }

        internal override Tensor Run(Tensor input, Tensor weight, Tensor? bias, long outChannels, ConvolutionGeometry geometry)
        {
            using var scope = NewDisposeScope();
            var x = input;
            long cin = input.shape[1];
            if (InChannels > cin)
            {
                var extra = zeros([input.shape[0], InChannels - cin, input.shape[2], input.shape[3]], input.dtype, input.device);
                x = Layouts.To(cat([input, extra], 1), ConvolutionShape.LayoutOf(input));
            }
            var y = Convolve(x, weight, bias, geometry);
            if (OutChannels == outChannels) return y.MoveToOuterDisposeScope();
            return Layouts.To(y.narrow(1, 0, outChannels), ConvolutionShape.LayoutOf(y)).MoveToOuterDisposeScope();
        }
    }

    /// <summary>
    /// The convolution computed in float64, which libtorch runs with its own im2col and matrix product rather than
    /// oneDNN: the reference the check compares with, and the route of last resort (slow, but right).
    /// </summary>
    public sealed record Float64 : ConvolutionRoute
    {
        public static readonly Float64 Instance = new();
        public override string Name => "float64";

        internal override (Tensor Weight, Tensor? Bias) PrepareWeights(Tensor weight, Tensor? bias) =>
            (weight.to_type(ScalarType.Float64), bias?.to_type(ScalarType.Float64));

        internal override Tensor Run(Tensor input, Tensor weight, Tensor? bias, long outChannels, ConvolutionGeometry geometry)
        {
            using var scope = NewDisposeScope();
            var y = Convolve(input.to_type(ScalarType.Float64), weight, bias, geometry);
            return y.to_type(input.dtype).MoveToOuterDisposeScope();
        }
    }

    /// <summary>libtorch's conv2d, every route's building block (with the simulated fault, where one is on, as a real one would be).</summary>
    internal static Tensor Convolve(Tensor input, Tensor weight, Tensor? bias, ConvolutionGeometry g)
    {
        var output = nn.functional.conv2d(input, weight, bias, g.Strides, g.Paddings, g.Dilations, g.Groups);
        return KernelChecks.Fault == SimulatedKernelFault.None ? output : SimulatedFaults.Apply(output, input, weight, g);
    }
}

/// <summary>Converting a 4-d tensor to a memory layout (TorchSharp 0.107 has no memory-format argument).</summary>
internal static class Layouts
{
    public static Tensor To(Tensor t, TensorLayout layout) => layout switch
    {
        // An NHWC buffer viewed as NCHW: permuting, copying and permuting back would keep NCHW strides for one channel.
        TensorLayout.ChannelsLast => ConvolutionShape.LayoutOf(t) == TensorLayout.ChannelsLast ? t
            : empty([t.shape[0], t.shape[2], t.shape[3], t.shape[1]], t.dtype, t.device).permute(0, 3, 1, 2).copy_(t),
        // An NHWC tensor with one channel counts as contiguous to libtorch's contiguous(), which then keeps its strides.
        TensorLayout.Contiguous => ConvolutionShape.LayoutOf(t) == TensorLayout.ChannelsLast
            ? empty(t.shape, t.dtype, t.device).copy_(t) : t.contiguous(),
        _ => t,
    };
}
