using TorchSharp;
using static TorchSharp.torch;

namespace Maskbench.Bench.Entries;

/// <summary>
/// A CIFAR-style VGG (Simonyan and Zisserman 2015, configuration E = VGG-19) for 32x32 inputs: 3x3 conv, batch norm,
/// ReLU, five max-pools, one linear layer; channel counts scaled by a width factor. Defined here so the benchmark runs
/// before the models work is merged; pgd_reference.py builds the same network in PyTorch.
/// </summary>
internal static class BenchVgg
{
    public static readonly int[] Vgg19 = [64, 64, -1, 128, 128, -1, 256, 256, 256, 256, -1, 512, 512, 512, 512, -1, 512, 512, 512, 512, -1];

    public static nn.Module<Tensor, Tensor> Create(double width, int classes, int seed)
    {
        manual_seed(seed);
        var layers = new List<nn.Module<Tensor, Tensor>>();
        int channels = 3;
        foreach (int c in Vgg19)
        {
            if (c < 0) { layers.Add(nn.MaxPool2d(2)); continue; }
            int scaled = Scaled(c, width);
            layers.Add(nn.Conv2d(channels, scaled, 3, padding: 1));
            layers.Add(nn.BatchNorm2d(scaled));
            layers.Add(nn.ReLU());
            channels = scaled;
        }
        layers.Add(nn.Flatten());
        layers.Add(nn.Linear(channels, classes));
        return nn.Sequential(layers);
    }

    public static int Scaled(int channels, double width) => Math.Max(1, (int)Math.Round(channels * width, MidpointRounding.AwayFromZero));

    /// <summary>
    /// Floating-point operations of one forward pass of one 32x32 image: 2·C_in·C_out·9·H·W per conv and 2·in·out for the
    /// linear layer (multiply and add counted separately; batch norm, ReLU and pooling ignored).
    /// </summary>
    public static double ForwardFlops(double width, int classes, int size = 32)
    {
        double flops = 0;
        int channels = 3, side = size;
        foreach (int c in Vgg19)
        {
            if (c < 0) { side /= 2; continue; }
            int scaled = Scaled(c, width);
            flops += 2.0 * channels * scaled * 9 * side * side;
            channels = scaled;
        }
        return flops + 2.0 * channels * classes;
    }
}
