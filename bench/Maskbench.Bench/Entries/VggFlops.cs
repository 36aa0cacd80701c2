using Maskbench.Models;

namespace Maskbench.Bench.Entries;

/// <summary>
/// Floating-point operations of the models' VGGs on 32x32 images, for achieved GFLOP/s: 2·C_in·C_out·9·H·W per
/// convolution and 2·in·out for the linear layer (multiply and add counted separately; batch norm, ReLU, pooling and
/// normalization ignored). A backward pass to the input costs one forward; one to the weights another.
/// </summary>
static class VggFlops
{
    public static double Forward(int depth, double width, int classes = 10)
    {
        double flops = 0;
        int channels = 3, side = 32;
        foreach (int c in Vgg.Configurations[depth])
        {
            if (c == 0) { side /= 2; continue; }
            int scaled = Math.Max(1, (int)Math.Round(c * width, MidpointRounding.AwayFromZero));
            flops += 2.0 * channels * scaled * 9 * side * side;
            channels = scaled;
        }
        return flops + 2.0 * channels * classes;
    }

    /// <summary>
    /// One training image: forward, backward to the activations and to the weights (3 forwards), plus K PGD steps of 2 forwards each.
    /// </summary>
    public static double TrainingImage(int depth, double width, int pgdSteps) => Forward(depth, width) * (3 + 2 * pgdSteps);
}
