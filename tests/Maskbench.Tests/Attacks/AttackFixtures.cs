using Maskbench.Attacks;
using Maskbench.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Maskbench.Tests.Attacks;

/// <summary>Tiny models and inputs for attack tests (seeded, a few thousand parameters, CPU).</summary>
internal static class AttackFixtures
{
    public static nn.Module<Tensor, Tensor> RandomConvNet(int seed, int classes = 4, int size = 8)
    {
        TorchRuntime.EnsureLoaded();
        manual_seed(seed);
        return nn.Sequential(
            nn.Conv2d(3, 4, 3, padding: 1), nn.ReLU(),
            nn.Flatten(), nn.Linear(4 * size * size, classes));
    }

    /// <summary>f(x) = W·vec(x) + b over 3 x size x size inputs.</summary>
    public static nn.Module<Tensor, Tensor> Linear(float[] weights, float[] bias)
    {
        TorchRuntime.EnsureLoaded();
        int classes = bias.Length, features = weights.Length / classes;
        var linear = nn.Linear(features, classes);
        using (no_grad())
        {
            linear.weight!.copy_(tensor(weights).reshape(classes, features));
            linear.bias!.copy_(tensor(bias));
        }
        return nn.Sequential(nn.Flatten(), linear);
    }

    public static Tensor Inputs(int seed, int n, int size = 8, double low = 0, double high = 1)
    {
        using var g = new Generator((ulong)seed);
        return (rand(new long[] { n, 3, size, size }, generator: g) * (high - low) + low).to_type(ScalarType.Float32);
    }

    /// <summary>A random 0/1 mask per example, roughly half the pixels on.</summary>
    public static Tensor Masks(int seed, int n, int size = 8)
    {
        using var g = new Generator((ulong)seed + 7);
        return rand(new long[] { n, 1, size, size }, generator: g).gt(0.5).to_type(ScalarType.Float32);
    }

    public static Tensor Labels(nn.Module<Tensor, Tensor> model, Tensor x)
    {
        using var _ = no_grad();
        model.eval();
        return model.call(x).argmax(1);
    }
}
