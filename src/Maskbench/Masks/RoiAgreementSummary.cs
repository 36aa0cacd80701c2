using Maskbench.Data;

namespace Maskbench.Masks;

/// <summary>
/// Agreement of masks with ROIs over a set of images: the share of empty masks, the mean share of mask pixels inside
/// the ROI (over non-empty masks) and the mean share of the ROI covered (over all masks).
/// </summary>
public sealed class RoiAgreementSummary
{
    double _insideSum, _coveredSum;

    public int Count { get; private set; }
    public int Empty { get; private set; }
    public double EmptyShare => Count == 0 ? double.NaN : (double)Empty / Count;
    public double MeanInsideShare => Count == Empty ? double.NaN : _insideSum / (Count - Empty);
    public double MeanCoveredShare => Count == 0 ? double.NaN : _coveredSum / Count;

    public void Add(BinaryMask mask, RoiBox roi)
    {
        Count++;
        _coveredSum += MaskQuality.RoiCoveredShare(mask, roi);
        double inside = MaskQuality.InsideRoiShare(mask, roi);
        if (double.IsNaN(inside)) Empty++;
        else _insideSum += inside;
    }
}
