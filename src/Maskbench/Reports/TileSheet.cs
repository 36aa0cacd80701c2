using Maskbench.Data;

namespace Maskbench.Reports;

/// <summary>
/// Lays out rows of equally sized tiles on a white sheet, each tile scaled up by pixel replication so that 32×32
/// images stay readable. Used by `maskbench preview` and by the report's image grids.
/// </summary>
public static class TileSheet
{
    const int Gap = 2;

    public static RgbImage Compose(IReadOnlyList<IReadOnlyList<RgbImage>> rows, int targetTileSize = 96)
    {
        if (rows.Count == 0 || rows[0].Count == 0) throw new ArgumentException("nothing to lay out");
        int w = rows[0][0].Width, h = rows[0][0].Height, columns = rows.Max(r => r.Count);
        int scale = Math.Max(1, targetTileSize / Math.Max(w, h));
        int tileW = w * scale, tileH = h * scale;
        var sheet = new RgbImage(columns * tileW + (columns + 1) * Gap, rows.Count * tileH + (rows.Count + 1) * Gap);
        Array.Fill(sheet.Pixels, (byte)255);
        for (int r = 0; r < rows.Count; r++)
            for (int c = 0; c < rows[r].Count; c++)
            {
                var tile = rows[r][c];
                if (tile.Width != w || tile.Height != h) throw new ArgumentException(
                    $"tile ({r},{c}) is {tile.Width}x{tile.Height}, expected {w}x{h}");
                int ox = Gap + c * (tileW + Gap), oy = Gap + r * (tileH + Gap);
                for (int y = 0; y < tileH; y++)
                    for (int x = 0; x < tileW; x++)
                    {
                        int s = tile.Offset(x / scale, y / scale), d = sheet.Offset(ox + x, oy + y);
                        sheet.Pixels[d] = tile.Pixels[s];
                        sheet.Pixels[d + 1] = tile.Pixels[s + 1];
                        sheet.Pixels[d + 2] = tile.Pixels[s + 2];
                    }
            }
        return sheet;
    }

    /// <summary>A mask as a black-and-white image.</summary>
    public static RgbImage MaskTile(BinaryMask mask)
    {
        var img = new RgbImage(mask.Width, mask.Height);
        for (int i = 0; i < mask.Values.Length; i++)
        {
            byte v = mask.Values[i] != 0 ? (byte)255 : (byte)0;
            img.Pixels[3 * i] = img.Pixels[3 * i + 1] = img.Pixels[3 * i + 2] = v;
        }
        return img;
    }

    /// <summary>The masked twin of an image: foreground kept, background zeroed.</summary>
    public static RgbImage Masked(RgbImage image, BinaryMask mask)
    {
        var img = new RgbImage(image.Width, image.Height, (byte[])image.Pixels.Clone());
        for (int i = 0; i < mask.Values.Length; i++)
            if (mask.Values[i] == 0) img.Pixels[3 * i] = img.Pixels[3 * i + 1] = img.Pixels[3 * i + 2] = 0;
        return img;
    }
}
