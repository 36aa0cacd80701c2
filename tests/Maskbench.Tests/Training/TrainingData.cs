using Maskbench.Data;

namespace Maskbench.Tests.Training;

/// <summary>
/// A learnable synthetic set: a centred square foreground (the mask) that is dark for class 0 and bright for
/// class 1, on a random background.
/// </summary>
static class TrainingData
{
    public static SplitArrays Squares(int count, int size, int seed)
    {
        var rng = new Random(seed);
        var a = new SplitArrays(count, size);
        rng.NextBytes(a.Images);
        int lo = size / 4, hi = size - size / 4;
        for (int i = 0; i < count; i++)
        {
            int label = i % 2;
            a.Labels[i] = label;
            for (int y = lo; y < hi; y++)
            for (int x = lo; x < hi; x++)
            {
                int p = i * size * size + y * size + x;
                a.Masks[p] = 1;
                for (int c = 0; c < 3; c++) a.Images[p * 3 + c] = (byte)((label == 1 ? 180 : 20) + rng.Next(60));
            }
        }
        return a;
    }
}
