using Maskbench.Data;
using Maskbench.Reports;
using Maskbench.Tests.Cli;
using Maskbench.Tests.Support;

namespace Maskbench.Tests.Reports;

public class DatasetPreviewTests
{
    [Fact]
    public void PickRowsCyclesThroughClassesWithoutRepeats()
    {
        long[] labels = [2, 0, 0, 1, 2, 0, 1, 0];
        var rows = DatasetPreview.PickRows(labels, 6, seed: 1);
        Assert.Equal(6, rows.Distinct().Count());
        Assert.Equal([0L, 1, 2, 0, 1, 2], rows.Select(r => labels[r]));
        Assert.Equal(rows, DatasetPreview.PickRows(labels, 6, seed: 1));
    }

    [Fact]
    public void TilesAreReplicatedAndMaskedTileZeroesBackground()
    {
        var image = new RgbImage(2, 1, [10, 20, 30, 40, 50, 60]);
        var mask = new BinaryMask(2, 1, [0, 1]);
        var sheet = TileSheet.Compose([[image, TileSheet.MaskTile(mask), TileSheet.Masked(image, mask)]], targetTileSize: 4);
        // scale 2, gap 2: three 4x2 tiles side by side
        Assert.Equal(3 * 4 + 4 * 2, sheet.Width);
        Assert.Equal(2 + 2 * 2, sheet.Height);
        Assert.Equal(((byte)40, (byte)50, (byte)60), sheet[2 + 3, 2 + 1]);          // image, right pixel, replicated
        Assert.Equal(((byte)0, (byte)0, (byte)0), sheet[2 + 4 + 2, 2]);            // mask tile, background
        Assert.Equal(((byte)255, (byte)255, (byte)255), sheet[2 + 4 + 2 + 2, 2]); // mask tile, foreground
        Assert.Equal(((byte)0, (byte)0, (byte)0), sheet[2 + 2 * 6, 2]);            // masked tile, background zeroed
        Assert.Equal(((byte)40, (byte)50, (byte)60), sheet[2 + 2 * 6 + 2, 3]);     // masked tile, foreground kept
    }

    [Fact]
    public void PreviewCommandWritesAPng()
    {
        using var temp = new TempFolder();
        DatasetStore.Write(temp["ds"], SyntheticSplits.Manifest(8, 3), new Dictionary<string,
            SplitArrays> { ["train"] = SyntheticSplits.Random(7, 8, 3, 1) });
        var (code, stdout, stderr) = CliProcess.Run("preview", temp["ds"], "--out", temp["grid.png"], "-n", "5", "--per-row", "2");
        Assert.True(code == 0, stderr);
        var png = Maskbench.Data.Images.ImageFile.Load(temp["grid.png"]);
        int scale = 96 / 8;
        Assert.Equal(6 * 8 * scale + 7 * 2, png.Width);
        Assert.Equal(3 * 8 * scale + 4 * 2, png.Height);
        Assert.Contains("grid.png", stdout);
    }
}
