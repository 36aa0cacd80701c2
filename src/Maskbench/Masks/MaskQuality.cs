using Maskbench.Data;

namespace Maskbench.Masks;

/// <summary>
/// Figures of mask quality: intersection over union against a true mask, and, for real GTSRB where only the CSV's
/// ROI is known, how much of the mask lies inside the ROI and how much of the ROI it covers.
/// </summary>
public static class MaskQuality
{
    /// <summary>|mask ∩ truth| / |mask ∪ truth|; two empty masks agree perfectly (1).</summary>
    public static double IoU(BinaryMask mask, BinaryMask truth)
    {
        if (mask.Width != truth.Width || mask.Height != truth.Height)
            throw new ArgumentException($"mask is {mask.Width}x{mask.Height} but truth is {truth.Width}x{truth.Height}");
        long both = 0, either = 0;
        var a = mask.Values;
        var b = truth.Values;
        for (int i = 0; i < a.Length; i++)
        {
            bool x = a[i] != 0, y = b[i] != 0;
            if (x && y) both++;
            if (x || y) either++;
        }
        return either == 0 ? 1.0 : (double)both / either;
    }

    /// <summary>Share of the mask's pixels that lie inside the ROI (NaN for an empty mask).</summary>
    public static double InsideRoiShare(BinaryMask mask, RoiBox roi)
    {
        var (inside, total) = CountInside(mask, roi);
        return total == 0 ? double.NaN : (double)inside / total;
    }

    /// <summary>Share of the ROI's pixels that the mask covers.</summary>
    public static double RoiCoveredShare(BinaryMask mask, RoiBox roi)
    {
        long area = (long)roi.Width * roi.Height;
        return area <= 0 ? double.NaN : (double)CountInside(mask, roi).Inside / area;
    }

    static (long Inside, long Total) CountInside(BinaryMask mask, RoiBox roi)
    {
        long inside = 0, total = 0;
        for (int y = 0; y < mask.Height; y++)
            for (int x = 0; x < mask.Width; x++)
            {
                if (mask.Values[y * mask.Width + x] == 0) continue;
                total++;
                if (roi.Contains(x, y)) inside++;
            }
        return (inside, total);
    }
}
