namespace Maskbench.Data.Images;

/// <summary>
/// Cuts a rectangle out of an image or mask. The rectangle may reach past the borders (COCO boxes grown by a
/// margin often do): those pixels are zero, black for images and background for masks.
/// </summary>
public static class ImageCrop
{
    public static RgbImage Crop(RgbImage source, int x, int y, int width, int height)
    {
        var result = new RgbImage(width, height);
        CopyOverlap(source.Pixels, source.Width, source.Height, result.Pixels, x, y, width, height, 3);
        return result;
    }

    public static BinaryMask Crop(BinaryMask source, int x, int y, int width, int height)
    {
        var result = new BinaryMask(width, height);
        CopyOverlap(source.Values, source.Width, source.Height, result.Values, x, y, width, height, 1);
        return result;
    }

    static void CopyOverlap(byte[] source, int sourceWidth, int sourceHeight, byte[] destination,
        int x, int y, int width, int height, int channels)
    {
        long left = Math.Max(x, 0), right = Math.Min((long)x + width, sourceWidth);
        long top = Math.Max(y, 0), bottom = Math.Min((long)y + height, sourceHeight);
        if (left >= right || top >= bottom) return;
        int runBytes = (int)(right - left) * channels;
        for (long row = top; row < bottom; row++)
        {
            long from = (row * sourceWidth + left) * channels;
            long to = ((row - y) * width + (left - x)) * channels;
            Array.Copy(source, from, destination, to, runBytes);
        }
    }
}
