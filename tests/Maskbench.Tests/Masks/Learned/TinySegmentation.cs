using Maskbench.Data;
using Maskbench.Masks.Learned;
using Maskbench.Models;
using Maskbench.Progress;
using Maskbench.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Maskbench.Tests.Masks.Learned;

/// <summary>
/// A small segmentation-and-classification task, trained once per test run and shared: 16x16 images of a uniformly
/// coloured square (the foreground, 5 to 9 pixels wide) on per-pixel colour noise; the class is the square's colour,
/// four close shades so that a small budget can move a prediction. A masker and a masked classifier are trained on it.
/// </summary>
public sealed class TinySegmentation
{
    public const int Size = 16, Classes = 4;
    static readonly byte[][] Colours = [[150, 90, 90], [90, 150, 90], [90, 90, 150], [140, 140, 70]];
    static readonly Lazy<TinySegmentation> Shared = new(() => new TinySegmentation(), LazyThreadSafetyMode.ExecutionAndPublication);

    public static TinySegmentation Instance => Shared.Value;

    public SplitArrays Train { get; }
    public SplitArrays Test { get; }
    public MaskUNet Masker { get; }
    public ImageClassifier Classifier { get; }
    public List<MaskerEpoch> MaskerEpochs { get; }
    public static MaskerSpec MaskerSpec => new() { InputSize = Size, BaseWidth = 6, Depth = 2 };
    public static MaskerTrainingOptions MaskerOptions => new() { Epochs = 8, BatchSize = 32, LearningRate = 5e-3, Seed = 3, Augment = false };

    TinySegmentation()
    {
        Train = Generate(384, seed: 1);
        Test = Generate(96, seed: 2);
        (Masker, MaskerEpochs) = new MaskerTrainer(MaskerOptions, NullProgress.Instance).Train(Train, MaskerSpec, CPU);
        Classifier = TrainClassifier(Train);
    }

    public static SplitArrays Generate(int count, int seed, int size = Size)
    {
        var rng = new Random(seed);
        var data = new SplitArrays(count, size);
        for (int i = 0; i < count; i++)
        {
            int label = rng.Next(Classes), side = rng.Next(5, 10);
            int x0 = rng.Next(size - side + 1), y0 = rng.Next(size - side + 1);
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++)
                {
                    int p = i * size * size + y * size + x;
                    bool inside = x >= x0 && x < x0 + side && y >= y0 && y < y0 + side;
                    data.Masks[p] = inside ? (byte)1 : (byte)0;
                    for (int c = 0; c < 3; c++)
                        data.Images[p * 3 + c] = inside ? (byte)Math.Clamp(Colours[label][c] + rng.Next(-12, 13), 0, 255) : (byte)rng.Next(256);
                }
            data.Labels[i] = label;
        }
        return data;
    }

    /// <summary>Images (N x 3 x S x S in [0,1]), true masks (N x 1 x S x S) and labels of a split.</summary>
    public static (Tensor Images, Tensor Masks, Tensor Labels) Tensors(SplitArrays data)
    {
        using var batch = new Maskbench.Training.BatchBuilder(data, 3, CPU).Build(Enumerable.Range(0, data.Count).ToArray());
        return (batch.Images.detach().clone(), batch.Masks.detach().clone(), batch.Labels.detach().clone());
    }

    static ImageClassifier TrainClassifier(SplitArrays data)
    {
        manual_seed(4);
        var (mean, std) = ModelSpec.DefaultNormalization(3);
        var model = ModelFactory.Create(new ModelSpec { Arch = "smallcnn", Classes = Classes, InputSize = Size, Channels = 3, Width = 0.25,
            Mean = mean, Std = std, Masked = true });
        var (x, m, y) = Tensors(data);
        var optimizer = optim.Adam(model.parameters(), lr: 3e-3);
        model.train();
        var order = new Random(5);
        for (int iteration = 0; iteration < 150; iteration++)
        {
            using var scope = NewDisposeScope();
            var rows = tensor(Enumerable.Range(0, 64).Select(_ => (long)order.Next(data.Count)).ToArray());
            var loss = nn.functional.cross_entropy(model.forward(x.index_select(0, rows) * m.index_select(0, rows)), y.index_select(0, rows));
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
        }
        model.eval();
        return model;
    }
}
