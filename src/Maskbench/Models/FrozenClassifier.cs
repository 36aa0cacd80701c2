using Maskbench.Kernels;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Maskbench.Models;

/// <summary>
/// An evaluation-mode copy of a feed-forward classifier's function, for attacks: the same normalization, layers and
/// weights, with each batch norm folded into the convolution before it (in evaluation mode batch norm is a fixed
/// per-channel affine map, so conv∘BN is one convolution with weight W·s and bias (b − μ)·s + β, s = γ/√(σ² + ε)).
/// Folding removes two memory-bound passes per layer from every forward and backward pass. Weights and activations are
/// kept channels-last (NHWC in memory), the layout oneDNN's CPU kernels work in: measured 6–10% faster per PGD step than
/// the default NCHW layout, float32 and bfloat16 alike (VGG-19, batch 128, 2 cores). Flattening before the classifier
/// reads the tensor in its logical N x C x H x W order, so the linear layer sees what the module's would. The copy holds its own
/// tensors (computed in float64, float32 for a bfloat16 form; stored in the asked dtype), so the model itself is never modified, and it is
/// a snapshot: later changes to the model's weights do not reach it.
/// </summary>
public sealed class FrozenClassifier : IDisposable
{
    readonly List<Layer> layers;
    readonly Tensor mean;
    readonly Tensor std;

    public ScalarType DType { get; }

    FrozenClassifier(Tensor mean, Tensor std, List<Layer> layers, ScalarType dtype)
    {
        this.mean = mean;
        this.std = std;
        this.layers = layers;
        DType = dtype;
    }

    /// <summary>Logits (in <see cref="DType"/>) of images in [0,1]; the input is converted to <see cref="DType"/> first.</summary>
    public Tensor Forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var converted = input.to_type(DType);
        var x = (converted - mean).div_(std);
        if (!ReferenceEquals(converted, input)) converted.Dispose();
        var last = ToChannelsLast(x);
        x.Dispose();
        x = last;
        // Each layer's input handle is released as soon as the next output exists: what backward needs, autograd holds
        // itself, and the rest goes back to the allocator at once instead of at the end of the step, which keeps the
        // peak footprint (and the fresh pages the kernel must fault in and zero) near that of one layer pair.
        foreach (var layer in layers)
        {
            var next = layer.Apply(x);
            if (!ReferenceEquals(next, x)) x.Dispose();
            x = next;
        }
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The same N x C x H x W tensor stored channels-last (NHWC in memory: strides C·H·W, 1, W·C, C), which libtorch's
    /// CPU convolutions (oneDNN) use without reordering; TorchSharp 0.107 has no memory-format argument, so the layout
    /// is made by permuting to NHWC, copying, and permuting the view back.
    /// </summary>
    static Tensor ToChannelsLast(Tensor t) => t.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);

    public void Dispose()
    {
        mean.Dispose();
        std.Dispose();
        foreach (var layer in layers) layer.Dispose();
    }

    /// <summary>Collects the layers of a frozen copy, folding as it goes; <see cref="Build"/> hands them over.</summary>
    internal sealed class Builder(ImageClassifier model, ScalarType dtype)
    {
        readonly List<Layer> layers = [];
        // Side of the square feature map the next layer receives (the model's input size, halved by each pooling).
        int side = model.Spec.InputSize;

        // Always a copy (to_type returns the same tensor when the dtype already matches), so the form is a snapshot.
        Tensor Take(Tensor t) => (t.dtype == dtype ? t.detach().clone() : t.detach().to_type(dtype)).contiguous().DetachFromDisposeScope();

        /// <summary>A convolution followed by <paramref name="batchNorm"/> (or none), folded into one.</summary>
        public Builder Convolution(Conv2d conv, BatchNorm2d? batchNorm, long padding)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            // Folded in float64; for a bfloat16 form in float32, whose rounding error is 2^16 times below bfloat16's
            // (training folds a bfloat16 form for every PGD batch, and the float64 passes over the weights cost 5–7 %
            // of a PGD-3 step of VGG-11 at width 1/4).
            var fold = dtype == ScalarType.BFloat16 ? ScalarType.Float32 : ScalarType.Float64;
            var weight = conv.weight!.detach().to_type(fold);
            var bias = conv.bias is null ? zeros(weight.shape[0], fold, weight.device) : conv.bias.detach().to_type(fold);
            if (batchNorm is not null)
            {
                var scale = (batchNorm.weight!.detach().to_type(ScalarType.Float64)
                    / (batchNorm.running_var!.to_type(ScalarType.Float64) + batchNorm.eps).sqrt()).to_type(fold);
                weight = weight * scale.view(-1, 1, 1, 1);
                bias = (bias - batchNorm.running_mean!.to_type(fold)) * scale + batchNorm.bias!.detach().to_type(fold);
            }
            // Stride 1 and "same" padding: the map keeps its side. Where the side is at most padding + 1, every output
            // pixel's window covers every input pixel, and the convolution is one dense matrix on the flattened map.
            if (2 * padding + 1 == weight.shape[2] && weight.shape[2] == weight.shape[3] && side - 1 <= padding)
            {
                layers.Add(new Layer.DenseConvolution(Take(DenseWeight(weight, side, padding)), Take(bias.repeat(side * side)), side));
                return this;
            }
            var w = Take(weight);
            var last = ToChannelsLast(w).DetachFromDisposeScope();
            w.Dispose();
            layers.Add(new Layer.Convolution(last, Take(bias), padding));
            return this;
        }

        /// <summary>
        /// The matrix of a stride-1 convolution on an s x s map whose kernel window always spans the whole map: rows are
        /// output features and columns input features, both in (row, column, channel) order, the memory order of a
        /// channels-last map; block (i, j; h, w) is the kernel tap (h − i + padding, w − j + padding).
        /// </summary>
        static Tensor DenseWeight(Tensor weight, int s, long padding)
        {
            long outputs = weight.shape[0], inputs = weight.shape[1];
            // taps[i, h] = h − i + padding, the kernel row (or column) joining output position i to input position h.
            var positions = arange(s, ScalarType.Int64, weight.device);
            var taps = positions.view(1, s) - positions.view(s, 1) + padding;
            // By kernel tap: [kh, kw, O, I]; gathered at (taps[i, h], taps[j, w]) into [i, j, h, w, O, I], one indexing call.
            var byTap = weight.permute(2, 3, 0, 1);
            var blocks = byTap.index(TensorIndex.Tensor(taps.view(s, 1, s, 1)), TensorIndex.Tensor(taps.view(1, s, 1, s)));
            return blocks.permute(0, 1, 4, 2, 3, 5).reshape(s * s * outputs, s * s * inputs);
        }

        public Builder Relu()
        {
            layers.Add(new Layer.Relu());
            return this;
        }

        public Builder MaxPool(long size)
        {
            side /= (int)size;
            layers.Add(new Layer.MaxPool(size));
            return this;
        }

        public Builder Flatten()
        {
            layers.Add(new Layer.Flatten());
            return this;
        }

        public Builder Linear(Linear linear)
        {
            using var noGrad = no_grad();
            layers.Add(new Layer.Affine(Take(linear.weight!), linear.bias is null ? null : Take(linear.bias)));
            return this;
        }

        public FrozenClassifier Build()
        {
            var device = model.parameters().First().device;
            var spec = model.Spec;
            var mean = tensor(spec.Mean).reshape(1, spec.Channels, 1, 1).to(dtype, device).DetachFromDisposeScope();
            var std = tensor(spec.Std).reshape(1, spec.Channels, 1, 1).to(dtype, device).DetachFromDisposeScope();
            return new FrozenClassifier(mean, std, layers, dtype);
        }
    }

    internal abstract class Layer : IDisposable
    {
        public abstract Tensor Apply(Tensor x);
        public virtual void Dispose() { }

        /// <summary>A stride-1 convolution, through <see cref="CheckedConvolution"/> (its kernels verified for each shape it meets).</summary>
        public sealed class Convolution(Tensor weight, Tensor bias, long padding) : Layer
        {
            readonly RoutedWeights weights = new(weight, bias);
            readonly ConvolutionGeometry geometry = ConvolutionGeometry.Same(1, (int)padding);

            public override Tensor Apply(Tensor x) => CheckedConvolution.Apply(x, weights.Weight, weights.Bias, geometry, weights);
            public override void Dispose() => weights.Dispose();
        }

        /// <summary>A convolution applied as its dense matrix (see <see cref="Builder"/>): on a 2 x 2 map of 512 channels one
        /// matrix product takes about half the time of the convolution, whose kernels also multiply the padding's zeros.</summary>
        public sealed class DenseConvolution(Tensor weight, Tensor bias, int side) : Layer
        {
            public override Tensor Apply(Tensor x)
            {
                if (x.shape[2] != side || x.shape[3] != side)
                    throw new ArgumentException($"this frozen form was built for the model's input size; a layer built for {side}x{side} maps got "
                        + $"{x.shape[2]}x{x.shape[3]}");
                using var rows = x.permute(0, 2, 3, 1);
                using var flat = rows.reshape(x.shape[0], -1);
                using var y = nn.functional.linear(flat, weight, bias);
                using var nhwc = y.view(x.shape[0], side, side, -1);
                return nhwc.permute(0, 3, 1, 2);
            }

            public override void Dispose() { weight.Dispose(); bias.Dispose(); }
        }

        public sealed class Relu : Layer
        {
            // In place: the convolution's output is not needed by its own backward pass (only its input is).
            public override Tensor Apply(Tensor x) => x.relu_();
        }

        /// <summary>
        /// Max pooling; on bfloat16 maps whose channel count is not a multiple of 16 it pools a float32 copy (libtorch's
        /// channels-last bfloat16 kernel handles 16 channels at a time and the rest in a scalar loop, three times the
        /// float32 kernel's time at 8 channels). The copy is exact and so is pooling, so values and gradients are the same.
        /// </summary>
        public sealed class MaxPool(long size) : Layer
        {
            public override Tensor Apply(Tensor x)
            {
                if (x.dtype != ScalarType.BFloat16 || x.shape[1] % 16 == 0) return nn.functional.max_pool2d(x, size, size);
                using var wide = x.to_type(ScalarType.Float32);
                using var pooled = nn.functional.max_pool2d(wide, size, size);
                return pooled.to_type(ScalarType.BFloat16);
            }
        }

        public sealed class Flatten : Layer
        {
            public override Tensor Apply(Tensor x) => x.flatten(1);
        }

        public sealed class Affine(Tensor weight, Tensor? bias) : Layer
        {
            public override Tensor Apply(Tensor x) => nn.functional.linear(x, weight, bias);
            public override void Dispose() { weight.Dispose(); bias?.Dispose(); }
        }
    }
}
