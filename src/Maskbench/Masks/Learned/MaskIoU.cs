using static TorchSharp.torch;

namespace Maskbench.Masks.Learned;

/// <summary>
/// Intersection over union of binary masks, per image, on tensors: N x 1 x H x W masks with values in [0,1] are
/// thresholded at 0.5 (a predicted soft mask becomes the defender's hard mask; a 0/1 mask is unchanged).
/// Two empty masks agree perfectly (1), as in <see cref="MaskQuality.IoU"/>.
/// </summary>
public static class MaskIoU
{
    public const double Threshold = 0.5;

    /// <summary>One IoU per image (float64, length N).</summary>
    public static double[] PerImage(Tensor predicted, Tensor truth)
    {
        if (!predicted.shape.SequenceEqual(truth.shape))
            throw new ArgumentException($"masks differ in shape: [{string.Join(", ", predicted.shape)}] and [{string.Join(", ", truth.shape)}]");
        using var scope = NewDisposeScope();
        var a = predicted.ge(Threshold).flatten(1);
        var b = truth.ge(Threshold).flatten(1);
        var both = a.logical_and(b).sum(1).to_type(ScalarType.Float64);
        var either = a.logical_or(b).sum(1).to_type(ScalarType.Float64);
        var iou = where(either.eq(0), ones_like(either), both / either.clamp_min(1));
        return iou.cpu().data<double>().ToArray();
    }
}

/// <summary>A mean with its 95% interval (normal approximation over the per-image values).</summary>
public sealed record MeanWithInterval(double Mean, double Low, double High, int Count)
{
    public static MeanWithInterval Of(IReadOnlyList<double> values)
    {
        int n = values.Count;
        if (n == 0) return new MeanWithInterval(double.NaN, double.NaN, double.NaN, 0);
        double mean = values.Average();
        if (n == 1) return new MeanWithInterval(mean, mean, mean, 1);
        double variance = values.Sum(v => (v - mean) * (v - mean)) / (n - 1);
        double half = 1.959963984540054 * Math.Sqrt(variance / n);
        return new MeanWithInterval(mean, Math.Max(0, mean - half), Math.Min(1, mean + half), n);
    }

    public override string ToString() => $"{Mean:F3} [{Low:F3}, {High:F3}] (n = {Count})";
}

/// <summary>IoU over a split: the mean over images and the mean per class, each with its interval.</summary>
public sealed record IoUReport(MeanWithInterval Mean, IReadOnlyDictionary<int, MeanWithInterval> PerClass)
{
    public static IoUReport Of(IReadOnlyList<double> iou, IReadOnlyList<long> labels)
    {
        if (iou.Count != labels.Count) throw new ArgumentException("one label per IoU value is needed");
        var perClass = iou.Zip(labels).GroupBy(p => (int)p.Second).OrderBy(g => g.Key)
            .ToDictionary(g => g.Key, g => MeanWithInterval.Of(g.Select(p => p.First).ToArray()));
        return new IoUReport(MeanWithInterval.Of(iou), perClass);
    }
}
