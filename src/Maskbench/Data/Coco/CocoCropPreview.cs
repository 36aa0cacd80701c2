using Maskbench.Data.Images;

namespace Maskbench.Data.Coco;

/// <summary>
/// A grid to check samples by eye: for each sample, the crop as stored and the crop with its mask applied
/// (background black), side by side, a few columns of pairs per row, grey gaps between.
/// </summary>
public static class CocoCropPreview
{
    public static void Save(SplitArrays arrays, string path, int count = 64, int columns = 8, int scale = 2)
    {
        int n = Math.Min(count, arrays.Count);
        if (n == 0) throw new MaskbenchException("the split has no samples to preview");
        int s = arrays.ImageSize * scale, gap = 2;
        int cellWidth = 2 * s + gap, rows = (n + columns - 1) / columns;
        int width = columns * (cellWidth + gap) + gap, height = rows * (s + gap) + gap;
        var grid = new RgbImage(width, height);
        Array.Fill(grid.Pixels, (byte)128);
        for (int i = 0; i < n; i++)
        {
            var image = arrays.Image(i);
            var mask = arrays.Mask(i);
            int ox = gap + (i % columns) * (cellWidth + gap), oy = gap + (i / columns) * (s + gap);
            for (int y = 0; y < s; y++)
                for (int x = 0; x < s; x++)
                {
                    int sx = x / scale, sy = y / scale;
                    var px = image[sx, sy];
                    grid[ox + x, oy + y] = px;
                    grid[ox + s + gap + x, oy + y] = mask[sx, sy] != 0 ? px : ((byte)0, (byte)0, (byte)0);
                }
        }
        ImageFile.Save(grid, path);
    }
}
