using Maskbench.Data;
using Maskbench.Data.Images;
using Maskbench.Reports;

namespace Maskbench.Tests.Reports;

public class ImageGridTests
{
    [Fact]
    public void PerturbationIsMidGreyAtZeroAndSpansTheRangeAtTheLargestDelta()
    {
        var clean = new RgbImage(2, 1, [100, 100, 100, 50, 60, 70]);
        var adversarial = new RgbImage(2, 1, [110, 95, 100, 50, 60, 70]);
        var p = ImageGrid.Perturbation(clean, adversarial);
        Assert.Equal([255, 128 - 63, 128, 128, 128, 128], p.Pixels.Select(b => (int)b));
    }

    [Fact]
    public void GridHasFourTilesPerExample()
    {
        var clean = new RgbImage(8, 8);
        var adv = new RgbImage(8, 8);
        adv.Pixels[5] = 9;
        byte[] png = ImageGrid.Png([clean, clean], [new BinaryMask(8, 8), new BinaryMask(8, 8)], [adv, adv]);
        var sheet = SkiaImageCodec.Decode(png, "grid.png");
        int tile = 8 * (96 / 8);
        Assert.Equal(4 * tile + 5 * 2, sheet.Width);
        Assert.Equal(2 * tile + 3 * 2, sheet.Height);
    }
}
