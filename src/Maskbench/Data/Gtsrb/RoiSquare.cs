using Maskbench.Data.Images;

namespace Maskbench.Data.Gtsrb;

/// <summary>
/// The square crop around a sign: centred on the ROI, its side the ROI's longer side plus a margin on each side,
/// moved inside the image where it fits. Where it cannot fit (a narrow image), image pixels past the border repeat
/// the edge and mask pixels there are background, so no black bars enter the dataset.
/// </summary>
public static class RoiSquare
{
    public static (int X, int Y, int Side) Box(RoiBox roi, int width, int height, double margin)
    {
        int side = (int)Math.Round(Math.Max(roi.Width, roi.Height) * (1 + 2 * margin));
        side = Math.Max(1, side);
        int x = (int)Math.Round((roi.X1 + roi.X2 + 1) / 2.0 - side / 2.0);
        int y = (int)Math.Round((roi.Y1 + roi.Y2 + 1) / 2.0 - side / 2.0);
        x = side <= width ? Math.Clamp(x, 0, width - side) : (width - side) / 2;
        y = side <= height ? Math.Clamp(y, 0, height - side) : (height - side) / 2;
        return (x, y, side);
    }

    public static (RgbImage Image, BinaryMask Mask) Crop(RgbImage image, BinaryMask mask, RoiBox roi, double margin)
    {
        var (x0, y0, side) = Box(roi, image.Width, image.Height, margin);
        var croppedMask = ImageCrop.Crop(mask, x0, y0, side, side);
        var cropped = new RgbImage(side, side);
        for (int y = 0; y < side; y++)
        {
            int sy = Math.Clamp(y0 + y, 0, image.Height - 1);
            for (int x = 0; x < side; x++)
            {
                int sx = Math.Clamp(x0 + x, 0, image.Width - 1);
                int from = image.Offset(sx, sy), to = cropped.Offset(x, y);
                cropped.Pixels[to] = image.Pixels[from];
                cropped.Pixels[to + 1] = image.Pixels[from + 1];
                cropped.Pixels[to + 2] = image.Pixels[from + 2];
            }
        }
        return (cropped, croppedMask);
    }
}
