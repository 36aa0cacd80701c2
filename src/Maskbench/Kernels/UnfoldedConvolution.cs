using TorchSharp;
using static TorchSharp.torch;

namespace Maskbench.Kernels;

/// <summary>
/// A 2-d convolution (groups 1) as matrix products on the unfolded input ("im2col", Chellapilla et al. 2006, "High
/// Performance Convolutional Neural Networks for Document Processing"): with the input's K×K windows as the rows of a
/// matrix X (N·Ho·Wo × K·K·C, channels-last order) and the weight as W (O × K·K·C),
/// <list type="bullet">
/// <item>forward: Y = X·Wᵀ + b;</item>
/// <item>weight gradient: ∂W = ∂Yᵀ·X, bias gradient: column sums of ∂Y;</item>
/// <item>input gradient: ∂X = ∂Y·W, each window's row added back onto the pixels it was read from ("col2im", summed in float32).</item>
/// </list>
/// These are the sums the convolution's definition names, so the function and its gradients are libtorch's conv2d's
/// in exact arithmetic; each product accumulates in float32 and rounds once, as oneDNN's kernels do.
/// <para>
/// Why: on maps of 4×4 and smaller, libtorch 2.10's oneDNN bfloat16 kernels are far from the machine's matrix-product
/// speed, the weight gradient most of all (VGG-19's 512→512 convolutions at batch 128: 4×4 maps 81 ms against 19 ms
/// here, 2×2 maps 64 ms against 5 ms, one thread), and that kernel barely shares its work between threads. The
/// windows of such maps are few (N·Ho·Wo rows), so unfolding them costs little beside the products.
/// </para>
/// </summary>
public static class UnfoldedConvolution
{
    /// <summary>
    /// The route that is faster than libtorch's own kernels for <paramref name="shape"/> (groups 1, batch 16 or more), or
    /// null, given whether the call computes the weight's gradient (training) or at most the input's (attacks, evaluation):
    /// <list type="bullet">
    /// <item><c>unfolded</c> (all three results as matrix products) where oneDNN's forward and input-gradient kernels are
    /// slow too, with or without the weight gradient: bfloat16 on 2×2 maps (≤ 4 output pixels) from 256 channels in and
    /// out, on 4×4 maps (≤ 16 pixels) from 512; float32 on 2×2 maps from 256.</item>
    /// <item><c>unfolded-weight</c> (libtorch's own output and input gradient, the weight gradient as a matrix product)
    /// where only oneDNN's bfloat16 weight-gradient kernel is slow, in training: 2×2 maps from 128 channels in and out;
    /// 4×4 maps from 256, or from 64 in and 128 out at batches of 64 or more.</item>
    /// </list>
    /// Measured at 2 threads, forward and backward in µs, libtorch's own against unfolded. Input gradient only, bfloat16:
    /// 512→512 at 2×2 34,000 against 10,000, at 4×4 23,000 against 21,000; 256→256 at 2×2 7,500 against 3,100; but 128→128
    /// at 2×2 750 against 1,050 and 256→256 at 4×4 3,800 against 7,600. With the weight gradient, bfloat16: 128→128 at 2×2
    /// 4,400 against 2,300 (batch 128), 2,500 against 1,500 (batch 64), 790 against 670 (batch 16); 128→128 at 4×4 8,600
    /// against 6,500; 64→128 at 4×4 4,800 against 3,600; 128→256 at 4×4 (batch 64) 8,000 against 4,100; but 64→64 at 4×4,
    /// batch 64, 1,400 against 1,500. On those training shapes libtorch's own output and input gradient beside the unfolded
    /// weight gradient were faster still: a VGG-11 (width 1/4) bfloat16 training step at batch 64 took 16.1–17.8 ms against
    /// 16.9–19.1 ms with all three unfolded (fastest of 100 alternating steps, three runs). VGG-19's 512→512 layers at
    /// batch 128, one thread, forward / input gradient / weight gradient in ms: bfloat16 at 4×4 26 / 27 / 81 against
    /// 21 / 24 / 19, at 2×2 24 / 25 / 64 against 6 / 6 / 5; float32 at 2×2 72 / 78 / 69 against 24 / 23 / 21, at 4×4
    /// even. At 8×8 and larger libtorch's own is the faster.
    /// </summary>
    public static ConvolutionRoute? FasterRoute(ConvolutionShape shape, bool weightGradient)
    {
        if (shape.Geometry.Groups != 1 || shape.Batch < 16) return null;
        var g = shape.Geometry;
        long pixels = g.OutputSize(shape.Height, shape.KernelHeight, true) * g.OutputSize(shape.Width, shape.KernelWidth, false);
        int narrower = Math.Min(shape.InChannels, shape.OutChannels);
        bool allThree = shape.ScalarType switch
        {
            ScalarType.BFloat16 => pixels <= 4 ? narrower >= 256 : pixels <= 16 && narrower >= 512,
            ScalarType.Float32 => pixels <= 4 && narrower >= 256,
            _ => false,
        };
        if (allThree) return ConvolutionRoute.Unfolded.Instance;
        bool weightOnly = weightGradient && shape.ScalarType == ScalarType.BFloat16 && (pixels <= 4 ? narrower >= 128
            : pixels <= 16 && (narrower >= 256 || (shape.InChannels >= 64 && shape.OutChannels >= 128 && shape.Batch >= 64)));
        return weightOnly ? ConvolutionRoute.UnfoldedWeight.Instance : null;
    }

    /// <summary>conv2d(<paramref name="input"/>, <paramref name="weight"/>, <paramref name="bias"/>), differentiable in all three.</summary>
    public static Tensor Apply(Tensor input, Tensor weight, Tensor? bias, ConvolutionGeometry geometry)
    {
        CheckArguments(input, weight, bias, geometry);
        return Function.apply(input, weight, bias!, geometry);
    }

    static void CheckArguments(Tensor input, Tensor weight, Tensor? bias, ConvolutionGeometry geometry)
    {
        if (geometry.Groups != 1) throw new ArgumentException("the unfolded convolution has no groups", nameof(geometry));
        if (input.dtype != weight.dtype || (bias is not null && bias.dtype != input.dtype))
            throw new ArgumentException($"input, weight and bias must share a dtype (got {input.dtype}, {weight.dtype}, {bias?.dtype})");
    }

    /// <summary>The output gradient as rows (N·Ho·Wo × O), one per output pixel, in the unfolded rows' order.</summary>
    static Tensor GradientRows(Tensor gradOutput) =>
        gradOutput.permute(0, 2, 3, 1).reshape(gradOutput.shape[0] * gradOutput.shape[2] * gradOutput.shape[3], gradOutput.shape[1]);

    /// <summary>The weight gradient ∂Yᵀ·X from the output gradient's rows and the unfolded input, as an O × C × KH × KW view.</summary>
    static Tensor WeightGradientOf(Tensor upstream, Tensor rows, long kh, long kw, long c) =>
        upstream.t().mm(rows).view(upstream.shape[1], kh, kw, c).permute(0, 3, 1, 2);

    /// <summary>The bias gradient: column sums of the output gradient's rows, in float32 (float64 for float64), rounded once.</summary>
    static Tensor BiasGradient(Tensor upstream) => upstream.dtype == ScalarType.Float64 ? upstream.sum([0L])
        : upstream.sum([0L], type: ScalarType.Float32).to_type(upstream.dtype);

    /// <summary>
    /// The windows of <paramref name="input"/> as rows (N·Ho·Wo × KH·KW·C, channels-last order): the zero-padded map in
    /// channels-last order (no copy for a channels-last input without padding) viewed as its windows by strides, then
    /// copied once into rows. A few library calls whatever the kernel size, since on the small maps this route serves the
    /// fixed cost of each call outweighs the copying.
    /// </summary>
    static Tensor Unfold(Tensor input, long kh, long kw, long ho, long wo, ConvolutionGeometry g)
    {
        long n = input.shape[0], c = input.shape[1];
        var nhwc = input.permute(0, 2, 3, 1);
        var padded = (g.PadH == 0 && g.PadW == 0 ? nhwc : nn.functional.pad(nhwc, [0, 0, g.PadW, g.PadW, g.PadH, g.PadH])).contiguous();
        long hp = padded.shape[1], wp = padded.shape[2];
        // Row a, column b, tap (i, j) of the windows reads padded pixel (a·stride + i·dilation, b·stride + j·dilation).
        // Strides of size-1 dimensions may be anything in a contiguous tensor, but those dimensions are only read at 0.
        long row = wp * c, pixel = c;
        var windows = padded.as_strided([n, ho, wo, kh, kw, c],
            [hp * row, row * g.StrideH, pixel * g.StrideW, row * g.DilationH, pixel * g.DilationW, 1], padded.storage_offset());
        return windows.reshape(n * ho * wo, kh * kw * c);
    }

    /// <summary>The weight as a matrix O × KH·KW·C (channels-last order, that of the unfolded rows).</summary>
    static Tensor Matrix(Tensor weight) => weight.permute(0, 2, 3, 1).reshape(weight.shape[0], -1);

    /// <summary>
    /// conv2d(<paramref name="input"/>, <paramref name="weight"/>, <paramref name="bias"/>) by libtorch's own kernels for
    /// the output and the input gradient, with the weight and bias gradients from matrix products on the unfolded input
    /// (∂W = ∂Yᵀ·X, ∂b = column sums of ∂Y): for training on shapes where only oneDNN's weight-gradient kernel is the
    /// slow one. The output and input gradient are libtorch's own, bit for bit.
    /// </summary>
    public static Tensor ApplyWithUnfoldedWeightGradient(Tensor input, Tensor weight, Tensor? bias, ConvolutionGeometry geometry)
    {
        CheckArguments(input, weight, bias, geometry);
        using var scope = NewDisposeScope();
        var output = ConvolutionRoute.Convolve(input, weight.detach(), bias?.detach(), geometry);
        bool weights = is_grad_enabled() && (weight.requires_grad || bias?.requires_grad == true);
        return (weights ? WeightGradient.apply(output, input.detach(), weight, bias!, geometry) : output).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The identity on a convolution's output (computed outside, with the weights detached), whose backward pass passes
    /// the output's gradient on and adds the weight's and bias's by matrix products.
    /// </summary>
    sealed class WeightGradient : autograd.SingleTensorFunction<WeightGradient>
    {
        public override string Name => "UnfoldedWeightGradient";

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var (output, input, weight, bias) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], vars[3] as Tensor);
            var g = (ConvolutionGeometry)vars[4];
            bool needWeight = weight.requires_grad, needBias = bias?.requires_grad == true;
            ctx.save_for_backward([needWeight ? input : null!]);
            ctx.save_data("kernel", new long[] { weight.shape[2], weight.shape[3] });
            ctx.save_data("needs", (needWeight, needBias));
            ctx.save_data("geometry", g);
            // A tensor of its own over the same values (no copy): returning the input itself would make it a view that
            // callers may not modify in place (ReLU). Nothing saves the convolution's output, so writing it is safe.
            return output.detach();
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
        {
            using var scope = NewDisposeScope();
            var saved = ctx.get_saved_variables();
            var k = (long[])ctx.get_data("kernel");
            var (needWeight, needBias) = ((bool, bool))ctx.get_data("needs");
            var g = (ConvolutionGeometry)ctx.get_data("geometry");
            long ho = gradOutput.shape[2], wo = gradOutput.shape[3];
            var upstream = GradientRows(gradOutput);
            Tensor? dWeight = null, dBias = null;
            if (needWeight) dWeight = WeightGradientOf(upstream, Unfold(saved[0], k[0], k[1], ho, wo, g), k[0], k[1], saved[0].shape[1]);
            if (needBias) dBias = BiasGradient(upstream);
            List<Tensor> result = [gradOutput, null!, dWeight?.MoveToOuterDisposeScope()!, dBias?.MoveToOuterDisposeScope()!, null!];
            return result;
        }
    }

    sealed class Function : autograd.SingleTensorFunction<Function>
    {
        public override string Name => "UnfoldedConvolution";

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var (input, weight, bias, g) = ((Tensor)vars[0], (Tensor)vars[1], vars[2] as Tensor, (ConvolutionGeometry)vars[3]);
            using var scope = NewDisposeScope();
            long n = input.shape[0], o = weight.shape[0], kh = weight.shape[2], kw = weight.shape[3];
            long ho = g.OutputSize(input.shape[2], kh, true), wo = g.OutputSize(input.shape[3], kw, false);
            var rows = Unfold(input, kh, kw, ho, wo, g);
            var matrix = Matrix(weight);
            // The output is a tensor of its own (channels-last), written through a matrix view: callers modify it in
            // place (ReLU), which autograd forbids on a view made inside a custom function.
            var y = empty_strided([n, o, ho, wo], [ho * wo * o, 1, wo * o, o], input.dtype);
            var product = y.permute(0, 2, 3, 1).view(n * ho * wo, o);
            if (bias is null) product.addmm_(rows, matrix.t(), beta: 0);
            else product.copy_(bias.expand(n * ho * wo, o)).addmm_(rows, matrix.t());
            // Only what a requested gradient needs is kept: the rows for the weight's, the weight for the input's.
            bool needInput = input.requires_grad, needWeight = weight.requires_grad, needBias = bias?.requires_grad == true;
            // Saved after forward returns (TorchSharp saves them as the node is wired), so they must outlive this scope.
            ctx.save_for_backward([needWeight ? rows.MoveToOuterDisposeScope() : null!, needInput ? matrix.MoveToOuterDisposeScope() : null!]);
            ctx.save_data("shape", new long[] { n, input.shape[1], input.shape[2], input.shape[3], kh, kw, ho, wo });
            ctx.save_data("needs", (needInput, needWeight, needBias));
            ctx.save_data("geometry", g);
            return y.MoveToOuterDisposeScope();
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
        {
            using var scope = NewDisposeScope();
            var saved = ctx.get_saved_variables();
            var s = (long[])ctx.get_data("shape");
            var (needInput, needWeight, needBias) = ((bool, bool, bool))ctx.get_data("needs");
            var g = (ConvolutionGeometry)ctx.get_data("geometry");
            long n = s[0], c = s[1], h = s[2], w = s[3], kh = s[4], kw = s[5], ho = s[6], wo = s[7];
            var upstream = GradientRows(gradOutput);
            Tensor? dInput = null, dWeight = null, dBias = null;
            if (needWeight) dWeight = WeightGradientOf(upstream, saved[0], kh, kw, c);
            if (needBias) dBias = BiasGradient(upstream);
            if (needInput) dInput = Fold(upstream.mm(saved[1]).view(n, ho, wo, kh, kw, c), gradOutput.dtype, h, w, g);
            List<Tensor> result = [dInput?.MoveToOuterDisposeScope()!, dWeight?.MoveToOuterDisposeScope()!, dBias?.MoveToOuterDisposeScope()!, null!];
            return result;
        }

        /// <summary>
        /// col2im: each window's gradient added back onto the pixels it was read from, in float32 (float64 for float64; one
        /// rounding to the input's dtype at the end), then the padding cut off; the result is channels-last.
        /// </summary>
        static Tensor Fold(Tensor windows, ScalarType dtype, long h, long w, ConvolutionGeometry g)
        {
            long n = windows.shape[0], ho = windows.shape[1], wo = windows.shape[2];
            long kh = windows.shape[3], kw = windows.shape[4], c = windows.shape[5];
            var sum = dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;
            var padded = zeros([n, h + 2 * g.PadH, w + 2 * g.PadW, c], sum);
            for (long i = 0; i < kh; i++)
                for (long j = 0; j < kw; j++)
                {
                    long top = i * g.DilationH, left = j * g.DilationW;
                    var target = padded.slice(1, top, top + g.StrideH * (ho - 1) + 1, g.StrideH)
                        .slice(2, left, left + g.StrideW * (wo - 1) + 1, g.StrideW);
                    target.add_(windows.select(4, j).select(3, i));
                }
            var inner = padded.slice(1, g.PadH, g.PadH + h, 1).slice(2, g.PadW, g.PadW + w, 1);
            var result = empty([n, h, w, c], dtype);
            result.copy_(inner);
            return result.permute(0, 3, 1, 2);
        }
    }
}
