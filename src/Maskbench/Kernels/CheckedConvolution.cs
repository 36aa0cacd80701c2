using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Maskbench.Kernels;

/// <summary>
/// A 2-d convolution whose kernel was checked against float64 for this shape on this machine (see
/// <see cref="KernelChecks"/>); where libtorch's own kernel is wrong it runs by a route that is right. Every model of
/// the library convolves through here: modules in training and evaluation, and frozen forms in attacks.
/// </summary>
public static class CheckedConvolution
{
    /// <summary>conv2d(<paramref name="input"/>, <paramref name="weight"/>, <paramref name="bias"/>) by a checked route.</summary>
    /// <param name="prepared">Weights already prepared per route, for layers whose weights never change (frozen forms).</param>
    public static Tensor Apply(Tensor input, Tensor weight, Tensor? bias, ConvolutionGeometry geometry, RoutedWeights? prepared = null)
    {
        // Float64 is the reference the checks compare with: libtorch computes it without oneDNN.
        if (input.dtype == ScalarType.Float64) return ConvolutionRoute.Convolve(input, weight, bias, geometry);
        var verdict = KernelChecks.For(ConvolutionShape.Of(input, weight, bias, geometry), is_grad_enabled() && weight.requires_grad);
        KernelChecks.NoteUse(verdict);
        var route = verdict.Route;
        if (route is ConvolutionRoute.Direct) return route.Run(input, weight, bias, weight.shape[0], geometry);
        using var scope = NewDisposeScope();
        var (w, b) = prepared is null ? route.PrepareWeights(weight, bias) : prepared.For(route);
        return route.Run(input, w, b, weight.shape[0], geometry).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// A TorchSharp <see cref="Conv2d"/> module's forward pass, by a checked route, in the input's dtype: float32
    /// weights meeting bfloat16 activations (mixed-precision training) are cast inside the autograd graph, so their
    /// gradients arrive in float32.
    /// </summary>
    public static Tensor Forward(Conv2d conv, Tensor input)
    {
        var weight = conv.weight!;
        if (input.dtype == weight.dtype || !input.is_floating_point()) return Apply(input, weight, conv.bias, GeometryOf(conv));
        using var scope = NewDisposeScope();
        return Apply(input, weight.to_type(input.dtype), conv.bias?.to_type(input.dtype), GeometryOf(conv)).MoveToOuterDisposeScope();
    }

    public static ConvolutionGeometry GeometryOf(Conv2d conv)
    {
        if (conv.padding_mode != TorchSharp.PaddingModes.Zeros || conv.padding_type is not null || conv.transposed)
            throw new MaskbenchException($"checked convolutions support zero padding given as numbers only (got {conv.padding_mode}, "
                + $"{conv.padding_type})");
        long[] stride = conv.stride ?? [1, 1], padding = conv.padding ?? [0, 0], dilation = conv.dilation ?? [1, 1];
        return new ConvolutionGeometry((int)stride[0], (int)stride[^1], (int)padding[0], (int)padding[^1], (int)dilation[0], (int)dilation[^1],
            (int)conv.groups);
    }
}

/// <summary>A fixed weight and bias, with each route's prepared form made once and kept (for frozen forms).</summary>
public sealed class RoutedWeights(Tensor weight, Tensor? bias) : IDisposable
{
    readonly Dictionary<string, (Tensor Weight, Tensor? Bias)> _byRoute = new(StringComparer.Ordinal);

    public Tensor Weight { get; } = weight;
    public Tensor? Bias { get; } = bias;

    internal (Tensor Weight, Tensor? Bias) For(ConvolutionRoute route)
    {
        lock (_byRoute)
        {
            if (_byRoute.TryGetValue(route.Name, out var known)) return known;
            using var noGrad = no_grad();
            var (w, b) = route.PrepareWeights(Weight, Bias);
            var kept = (ReferenceEquals(w, Weight) ? w : w.DetachFromDisposeScope(),
                b is null || ReferenceEquals(b, Bias) ? b : b.DetachFromDisposeScope());
            _byRoute[route.Name] = kept;
            return kept;
        }
    }

    public void Dispose()
    {
        foreach (var (w, b) in _byRoute.Values)
        {
            if (!ReferenceEquals(w, Weight)) w.Dispose();
            if (b is not null && !ReferenceEquals(b, Bias)) b.Dispose();
        }
        Weight.Dispose();
        Bias?.Dispose();
    }
}
