namespace Maskbench.Data.Mnist;

/// <summary>
/// A deterministic train/test split of one IDX set (the shared data holds only MNIST's 10,000 test images, so the
/// tool splits them itself: by default 8,000 for training and 2,000 for testing). A Fisher–Yates shuffle with
/// <c>new Random(seed)</c> gives the same split for the same seed on every machine.
/// </summary>
public static class MnistSplit
{
    public static (int[] Train, int[] Test) Indices(int count, int trainCount, int testCount, int seed)
    {
        if (trainCount < 0 || testCount < 0 || trainCount + testCount > count)
            throw new MaskbenchException($"cannot split {count} images into {trainCount} training and {testCount} test images");
        var order = new int[count];
        for (int i = 0; i < count; i++) order[i] = i;
        var random = new Random(seed);
        for (int i = count - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return (order[..trainCount], order[trainCount..(trainCount + testCount)]);
    }
}
