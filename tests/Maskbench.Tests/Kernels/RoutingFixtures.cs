using Maskbench.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Maskbench.Tests.Kernels;

/// <summary>Models and error measures the kernel-routing tests share.</summary>
internal static class RoutingFixtures
{
    /// <summary>A 5-class model of the library in eval mode, its batch norms given random statistics so that folding them matters.</summary>
    public static ImageClassifier Model(string arch, int size, int channels, double width, int seed)
    {
        manual_seed(seed);
        var model = ModelFactory.Create(arch, classes: 5, inputSize: size, width: width, channels: channels);
        using (no_grad())
            foreach (var bn in model.modules().OfType<BatchNorm2d>())
            {
                bn.running_mean!.normal_(0, 0.3);
                bn.running_var!.uniform_(0.5, 2.0);
            }
        model.eval();
        return model;
    }

    /// <summary>The largest difference relative to the reference's largest magnitude.</summary>
    public static double Relative(Tensor a, Tensor reference) =>
        (a - reference).abs().max().item<double>() / reference.abs().max().item<double>();
}
