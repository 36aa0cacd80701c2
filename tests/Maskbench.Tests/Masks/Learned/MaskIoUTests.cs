using Maskbench.Masks.Learned;
using Maskbench.Runtime;
using static TorchSharp.torch;

namespace Maskbench.Tests.Masks.Learned;

public class MaskIoUTests
{
    /// <summary>The plain definition, pixel by pixel: foreground is value ≥ 0.5; two empty masks have IoU 1.</summary>
    static double BruteForce(float[] a, float[] b)
    {
        int both = 0, either = 0;
        for (int i = 0; i < a.Length; i++)
        {
            bool x = a[i] >= 0.5f, y = b[i] >= 0.5f;
            if (x && y) both++;
            if (x || y) either++;
        }
        return either == 0 ? 1.0 : (double)both / either;
    }

    [Fact]
    public void PerImageIoUMatchesThePixelByPixelDefinition()
    {
        var rng = new Random(5);
        const int n = 40, h = 7, w = 9;
        var a = new float[n * h * w];
        var b = new float[n * h * w];
        for (int i = 0; i < n; i++)
        {
            // Different densities per image, including empty and full masks, and soft values around the threshold.
            double pa = i % 8 == 0 ? 0 : i % 8 == 1 ? 1 : rng.NextDouble(), pb = i % 5 == 0 ? 0 : rng.NextDouble();
            for (int j = 0; j < h * w; j++)
            {
                a[i * h * w + j] = rng.NextDouble() < pa ? (float)(0.5 + 0.5 * rng.NextDouble()) : (float)(0.5 * rng.NextDouble());
                b[i * h * w + j] = rng.NextDouble() < pb ? 1f : 0f;
            }
            if (i == 3) a[i * h * w] = 0.5f;   // exactly the threshold counts as foreground
        }
        using var ta = tensor(a, [n, 1, h, w]);
        using var tb = tensor(b, [n, 1, h, w]);
        var iou = MaskIoU.PerImage(ta, tb);
        Assert.Equal(n, iou.Length);
        for (int i = 0; i < n; i++)
            Assert.Equal(BruteForce(a[(i * h * w)..((i + 1) * h * w)], b[(i * h * w)..((i + 1) * h * w)]), iou[i], 12);
        Assert.Contains(iou, v => v == 1.0);   // the empty-empty case occurs
        Assert.Contains(iou, v => v > 0 && v < 1);
    }

    [Fact]
    public void MeanIntervalIsTheNormalApproximationAndPerClassGroupsByLabel()
    {
        var values = new[] { 0.9, 0.8, 1.0, 0.7, 0.6 };
        var labels = new long[] { 0, 1, 0, 1, 1 };
        var report = IoUReport.Of(values, labels);
        double mean = 0.8, sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / 4);
        Assert.Equal(mean, report.Mean.Mean, 12);
        Assert.Equal(mean - 1.959963984540054 * sd / Math.Sqrt(5), report.Mean.Low, 12);
        Assert.Equal(Math.Min(1, mean + 1.959963984540054 * sd / Math.Sqrt(5)), report.Mean.High, 12);
        Assert.Equal(0.95, report.PerClass[0].Mean, 12);
        Assert.Equal(2, report.PerClass[0].Count);
        Assert.Equal(0.7, report.PerClass[1].Mean, 12);
    }
}
