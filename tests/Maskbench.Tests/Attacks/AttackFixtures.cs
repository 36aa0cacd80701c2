using Maskbench.Attacks;
using Maskbench.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Maskbench.Tests.Attacks;

/// <summary>Tiny models and inputs for attack tests (seeded, a few thousand parameters, CPU).</summary>
internal static class AttackFixtures
{
    /// <summary>
    /// A convolution, ReLU and linear layer, weights drawn from a generator of their own (<see cref="Support.SeededWeights"/>):
    /// seeded through the global generator, a test drawing from it beside this one could change them (CI once saw a
    /// network that fooled no row).
    /// </summary>
    public static nn.Module<Tensor, Tensor> RandomConvNet(int seed, int classes = 4, int size = 8) =>
        Support.SeededWeights.Apply(nn.Sequential(
            nn.Conv2d(3, 4, 3, padding: 1), nn.ReLU(),
            nn.Flatten(), nn.Linear(4 * size * size, classes)), seed);

    /// <summary>
    /// <see cref="RandomConvNet"/> computed in float64 behind float32 inputs and logits. Comparisons that need bit-identical
    /// results from batches of different composition (early stop against none, ours against a reference) use it: a
    /// float32 kernel may legitimately round differently for another batch size, while float64 results agree to far below
    /// float32's resolution, so the float32 values the attack sees are equal.
    /// </summary>
    public static nn.Module<Tensor, Tensor> RandomConvNet64(int seed, int classes = 4, int size = 8) =>
        new InFloat64(RandomConvNet(seed, classes, size));

    sealed class InFloat64 : nn.Module<Tensor, Tensor>
    {
        readonly nn.Module<Tensor, Tensor> inner;

        public InFloat64(nn.Module<Tensor, Tensor> inner) : base("InFloat64")
        {
            this.inner = inner;
            inner.to(ScalarType.Float64);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => inner.call(x.to_type(ScalarType.Float64)).to_type(ScalarType.Float32);
    }

    /// <summary>f(x) = W·vec(x) + b over 3 x size x size inputs.</summary>
    public static nn.Module<Tensor, Tensor> Linear(float[] weights, float[] bias)
    {
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

/// <summary>Counts how often an attack asks for gradients, and checks it never does so through the exact forward.</summary>
internal sealed class CountingTarget(IAttackTarget inner) : IAttackTarget
{
    public int GradientCalls { get; private set; }
    public int ForwardCalls { get; private set; }

    public Tensor Logits(Tensor inputs)
    {
        ForwardCalls++;
        if (inputs.requires_grad) GradientCalls++;
        return inner.Logits(inputs);
    }

    public Tensor LogitsForGradient(Tensor inputs)
    {
        GradientCalls++;
        return inner.LogitsForGradient(inputs);
    }

    public IAttackTarget Select(Tensor indices) => new SelectedCountingTarget(this, inner.Select(indices));
    public IDisposable Prepare(Precision precision) => inner.Prepare(precision);

    sealed class SelectedCountingTarget(CountingTarget root, IAttackTarget inner) : IAttackTarget
    {
        public Tensor Logits(Tensor inputs)
        {
            root.ForwardCalls++;
            if (inputs.requires_grad) root.GradientCalls++;
            return inner.Logits(inputs);
        }

        public Tensor LogitsForGradient(Tensor inputs)
        {
            root.GradientCalls++;
            return inner.LogitsForGradient(inputs);
        }

        public IAttackTarget Select(Tensor indices) => new SelectedCountingTarget(root, inner.Select(indices));
    }
}

/// <summary>A small CNN trained for a few seconds on synthetic 8x8 images whose class is the quadrant holding a bright blob.</summary>
internal static class TrainedFixture
{
    /// <summary>xunit collection of the test classes that use this model (they must not run in parallel).</summary>
    public const string Collection = "trained fixture model";

    static readonly Lazy<(nn.Module<Tensor, Tensor> Model, Tensor X, Tensor Y)> Cached = new(Train);

    public static (nn.Module<Tensor, Tensor> Model, Tensor X, Tensor Y) Get() => Cached.Value;

    public static (Tensor X, Tensor Y) Data(int seed, int n)
    {
        var rng = new Random(seed);
        var pixels = new float[n * 3 * 64];
        var labels = new long[n];
        for (int i = 0; i < n; i++)
        {
            int label = rng.Next(4);
            labels[i] = label;
            int top = label / 2 * 4, left = label % 2 * 4;
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < 8; y++)
                    for (int x = 0; x < 8; x++)
                    {
                        bool inBlob = y >= top && y < top + 4 && x >= left && x < left + 4;
                        pixels[((i * 3 + c) * 8 + y) * 8 + x] = (float)((inBlob ? 0.55 : 0.3) + rng.NextDouble() * 0.15);
                    }
        }
        return (tensor(pixels).reshape(n, 3, 8, 8), tensor(labels));
    }

    static (nn.Module<Tensor, Tensor>, Tensor, Tensor) Train()
    {
        var model = AttackFixtures.RandomConvNet(21);
        var (x, y) = Data(1, 256);
        var optimizer = optim.Adam(model.parameters(), 0.01);
        model.train();
        for (int epoch = 0; epoch < 60; epoch++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            nn.functional.cross_entropy(model.call(x), y).backward();
            optimizer.step();
        }
        model.eval();
        var (testX, testY) = Data(2, 64);
        return (model, testX.DetachFromDisposeScope(), testY.DetachFromDisposeScope());
    }
}
