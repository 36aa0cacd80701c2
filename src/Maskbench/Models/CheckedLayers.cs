using Maskbench.Kernels;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Maskbench.Models;

/// <summary>Runs a sequence of layers as <see cref="Sequential"/> would, with every convolution through <see cref="CheckedConvolution"/>
/// and convolutions and linear layers in their input's dtype.</summary>
internal static class CheckedLayers
{
    public static Tensor Forward(Sequential layers, Tensor input)
    {
        var x = input;
        foreach (var layer in layers.children())
            x = layer switch
            {
                Conv2d conv => CheckedConvolution.Forward(conv, x),
                Linear linear => Forward(linear, x),
                nn.Module<Tensor, Tensor> module => module.call(x),
                _ => throw new InvalidOperationException($"layer {layer.GetName()} is not a tensor-to-tensor module"),
            };
        return x;
    }

    /// <summary>
    /// A linear layer on <paramref name="input"/> in the input's dtype (weights cast inside the graph, see <see
    /// cref="ImageClassifier.ComputeType"/>).
    /// </summary>
    public static Tensor Forward(Linear linear, Tensor input) =>
        input.dtype == linear.weight!.dtype ? linear.forward(input)
            : nn.functional.linear(input, linear.weight.to_type(input.dtype), linear.bias?.to_type(input.dtype));
}
