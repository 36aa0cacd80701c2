using Maskbench.Data;
using Maskbench.Data.Images;

namespace Maskbench.Reports;

/// <summary>
/// A PNG with one row per example and four columns: the clean image, its mask, the adversarial image, and the
/// perturbation magnified (mid-grey is zero; the largest |δ| of the row maps to black or white), laid out by
/// <see cref="TileSheet"/>.
/// </summary>
public static class ImageGrid
{
    public const int Columns = 4;

    public static byte[] Png(IReadOnlyList<RgbImage> clean, IReadOnlyList<BinaryMask> masks, IReadOnlyList<RgbImage> adversarial)
    {
        int rows = clean.Count;
        if (rows == 0 || masks.Count != rows || adversarial.Count != rows) throw new ArgumentException(
            "need equally many clean, mask and adversarial images");
        var sheetRows = new List<IReadOnlyList<RgbImage>>();
        for (int r = 0; r < rows; r++)
            sheetRows.Add([clean[r], TileSheet.MaskTile(masks[r]), adversarial[r], Perturbation(clean[r], adversarial[r])]);
        using var png = new MemoryStream();
        SkiaImageCodec.Write(TileSheet.Compose(sheetRows), png, CompressedFormat.Png);
        return png.ToArray();
    }

    /// <summary>δ = adversarial − clean per channel, mid-grey at zero, scaled so the row's largest |δ| spans the range.</summary>
    public static RgbImage Perturbation(RgbImage clean, RgbImage adversarial)
    {
        int maxDelta = 1;
        for (int i = 0; i < clean.Pixels.Length; i++) maxDelta = Math.Max(maxDelta, Math.Abs(adversarial.Pixels[i] - clean.Pixels[i]));
        var image = new RgbImage(clean.Width, clean.Height);
        for (int i = 0; i < clean.Pixels.Length; i++)
            image.Pixels[i] = (byte)Math.Clamp(128 + (adversarial.Pixels[i] - clean.Pixels[i]) * 127 / maxDelta, 0, 255);
        return image;
    }
}
