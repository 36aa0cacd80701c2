using Maskbench.Data;
using Maskbench.Data.Images;

namespace Maskbench.Tests.Data.Images;

public class ImageCropTests
{
    [Fact]
    public void CropsAnywhereWithZeroPaddingOutside()
    {
        var random = new Random(11);
        var pixels = new byte[9 * 6 * 3];
        random.NextBytes(pixels);
        var image = new RgbImage(9, 6, pixels);
        var cases = new List<(int X, int Y, int W, int H)> { (0, 0, 9, 6), (2, 1, 3, 4), (-3, -2, 15, 10), (7, 4, 5, 5), (20, 0, 3, 3),
            (-5, -5, 2, 2) };
        for (int i = 0; i < 40; i++) cases.Add((random.Next(-10, 12), random.Next(-10, 9), 1 + random.Next(14), 1 + random.Next(14)));
        foreach (var (x, y, w, h) in cases)
            Assert.Equal(ReferenceResize.Crop(image, x, y, w, h).Pixels, ImageCrop.Crop(image, x, y, w, h).Pixels);
    }

    [Fact]
    public void MaskCropUsesTheSameRectangle()
    {
        var mask = new BinaryMask(3, 2, [1, 0, 1, 0, 1, 1]);
        // Rectangle from (-1, 1), 4 wide, 2 tall: one padded column, then the bottom row, then a padded row.
        Assert.Equal(new byte[] { 0, 0, 1, 1, 0, 0, 0, 0 }, ImageCrop.Crop(mask, -1, 1, 4, 2).Values);
    }
}
