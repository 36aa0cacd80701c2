using Maskbench.Data;

namespace Maskbench.Reports;

/// <summary>
/// The preview sheet of a dataset split: groups of three tiles (image, mask, masked image), several groups per row,
/// examples drawn evenly over classes with a seeded choice so two previews of one dataset look the same.
/// </summary>
public static class DatasetPreview
{
    public static RgbImage Render(DatasetSplit split, int count, int perRow, int seed)
    {
        var rows = PickRows(split.Labels, count, seed);
        var sheetRows = new List<IReadOnlyList<RgbImage>>();
        for (int start = 0; start < rows.Count; start += perRow)
        {
            var tiles = new List<RgbImage>();
            foreach (int row in rows.Skip(start).Take(perRow))
            {
                var image = split.Image(row);
                var mask = split.Mask(row);
                tiles.Add(image);
                tiles.Add(TileSheet.MaskTile(mask));
                tiles.Add(TileSheet.Masked(image, mask));
            }
            sheetRows.Add(tiles);
        }
        return TileSheet.Compose(sheetRows);
    }

    /// <summary>Round-robin over classes (in class order), a seeded shuffle within each class.</summary>
    public static IReadOnlyList<int> PickRows(long[] labels, int count, int seed)
    {
        var rng = new Random(seed);
        var byClass = labels.Select((label, row) => (label, row)).GroupBy(p => p.label).OrderBy(g => g.Key)
            .Select(g => new Queue<int>(g.Select(p => p.row).OrderBy(_ => rng.Next()))).ToList();
        var picked = new List<int>();
        while (picked.Count < count && byClass.Any(q => q.Count > 0))
            foreach (var q in byClass)
                if (q.Count > 0 && picked.Count < count) picked.Add(q.Dequeue());
        return picked;
    }
}
