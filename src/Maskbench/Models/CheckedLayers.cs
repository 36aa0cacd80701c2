using Maskbench.Kernels;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Maskbench.Models;

/// <summary>Runs a sequence of layers as <see cref="Sequential"/> would, with every convolution through <see cref="CheckedConvolution"/>.</summary>
internal static class CheckedLayers
{
    public static Tensor Forward(Sequential layers, Tensor input)
    {
        var x = input;
        foreach (var layer in layers.children())
            x = layer switch
            {
                Conv2d conv => CheckedConvolution.Forward(conv, x),
                nn.Module<Tensor, Tensor> module => module.call(x),
                _ => throw new InvalidOperationException($"layer {layer.GetName()} is not a tensor-to-tensor module"),
            };
        return x;
    }
}
