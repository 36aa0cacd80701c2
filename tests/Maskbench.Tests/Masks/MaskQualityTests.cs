using Maskbench.Data;
using Maskbench.Masks;

namespace Maskbench.Tests.Masks;

public class MaskQualityTests
{
    static BinaryMask Rect(int w, int h, int x1, int y1, int x2, int y2)
    {
        var m = new BinaryMask(w, h);
        for (int y = y1; y <= y2; y++) for (int x = x1; x <= x2; x++) m[x, y] = 1;
        return m;
    }

    [Fact]
    public void IoU_of_overlapping_rectangles()
    {
        // 4x4 and 4x4 overlapping in 2x4: intersection 8, union 24.
        Assert.Equal(8.0 / 24, MaskQuality.IoU(Rect(10, 10, 0, 0, 3, 3), Rect(10, 10, 2, 0, 5, 3)), 12);
        Assert.Equal(1.0, MaskQuality.IoU(new BinaryMask(3, 3), new BinaryMask(3, 3)));
        Assert.Equal(0.0, MaskQuality.IoU(Rect(5, 5, 0, 0, 0, 0), new BinaryMask(5, 5)));
        Assert.Throws<ArgumentException>(() => MaskQuality.IoU(new BinaryMask(3, 3), new BinaryMask(3, 4)));
    }

    [Fact]
    public void Roi_shares()
    {
        var roi = new RoiBox(2, 2, 5, 5);   // 16 pixels, inclusive corners
        Assert.Equal(4, roi.Width);
        var mask = Rect(10, 10, 0, 2, 3, 3); // 8 pixels, 4 of them (x 2..3, y 2..3) inside
        Assert.Equal(0.5, MaskQuality.InsideRoiShare(mask, roi));
        Assert.Equal(4.0 / 16, MaskQuality.RoiCoveredShare(mask, roi));
        Assert.True(double.IsNaN(MaskQuality.InsideRoiShare(new BinaryMask(10, 10), roi)));

        var summary = new RoiAgreementSummary();
        summary.Add(mask, roi);
        summary.Add(new BinaryMask(10, 10), roi);
        Assert.Equal(0.5, summary.EmptyShare);
        Assert.Equal(0.5, summary.MeanInsideShare);
        Assert.Equal(2.0 / 16, summary.MeanCoveredShare);
    }

    [Fact]
    public void IoU_summary_per_class()
    {
        var s = new IoUSummary();
        s.Add(3, 1.0);
        s.Add(3, 0.5);
        s.Add(1, 0.0);
        Assert.Equal(0.5, s.Mean);
        Assert.Equal((0.75, 2), s.PerClass[3]);
        Assert.Equal([1, 3], s.PerClass.Keys.Order());
    }

    [Fact]
    public void Cleanup_keeps_the_largest_component_and_fills_its_holes()
    {
        string[] rows =
        [
            "11100000",
            "10100011",
            "11100011",
            "00000000",
        ];
        var labels = rows.SelectMany(r => r.Select(c => (byte)(c - '0'))).ToArray();
        MaskCleanup.KeepLargestComponent(labels, 8, 4);
        MaskCleanup.FillHoles(labels, 8, 4);
        string[] expected = ["11100000", "11100000", "11100000", "00000000"];
        Assert.Equal(expected.SelectMany(r => r.Select(c => (byte)(c - '0'))).ToArray(), labels);
    }
}
