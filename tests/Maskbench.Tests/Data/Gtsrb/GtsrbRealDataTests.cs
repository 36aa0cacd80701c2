using Maskbench.Data;
using Maskbench.Data.Gtsrb;
using Maskbench.Data.Images;
using Maskbench.Tests.Support;

namespace Maskbench.Tests.Data.Gtsrb;

/// <summary>The real GTSRB files in shared/data (see its README.md).</summary>
public class GtsrbRealDataTests
{
    [SkippableFact]
    public void Original_training_images_read_with_every_size_agreeing()
    {
        string root = SharedData.Require("gtsrb-original");
        var records = GtsrbReader.Open(root).ReadTraining().ToList();
        Assert.Equal(430, records.Count);
        Assert.Equal(Enumerable.Range(0, 43), records.Select(r => r.ClassId).Distinct().Order());
        Assert.All(records.GroupBy(r => r.ClassId), g => Assert.Equal(10, g.Count()));
        // Oracle: the CSV rows as plain text, and each file decoded in full.
        var csvRows = Directory.GetFiles(Path.Combine(root, "GTSRB", "Final_Training", "Images"), "GT-*.csv", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal).SelectMany(GtsrbFixtures.ReadRows).ToList();
        Assert.Equal(csvRows.Select(r => (r[0], int.Parse(r[3]), int.Parse(r[6]), int.Parse(r[7]))),
            records.Select(r => (r.FileName, r.Roi.X1, r.Roi.Y2, r.ClassId)));
        foreach (var r in records.Where((_, i) => i % 7 == 0))
        {
            var image = ImageFile.Load(r.ImagePath);
            Assert.Equal((image.Width, image.Height), (r.Width, r.Height));
        }
        Assert.Contains(records, r => r.Width > 100);
        Assert.All(records, r => Assert.NotNull(r.Track));
    }

    [SkippableFact]
    public void Sample_reads_both_splits_of_32_pixel_images_with_comment_headers()
    {
        string root = SharedData.Require("gtsrb-sample");
        var reader = GtsrbReader.Open(root);
        var train = reader.ReadTraining().ToList();
        var test = reader.ReadTest().ToList();
        Assert.Equal(150, train.Count);
        Assert.Equal(100, test.Count);
        Assert.Equal([1, 12, 14, 17, 25], train.Select(r => r.ClassId).Distinct().Order());
        Assert.All(test, r => Assert.Contains(r.ClassId, new[] { 1, 12, 14, 17, 25 }));
        Assert.All(train.Concat(test), r => Assert.Equal((32, 32), (r.Width, r.Height)));
        Assert.All(test, r => Assert.Null(r.Track));
    }

    [SkippableFact]
    public void Inconsistent_sizes_stop_with_expected_and_found_size()
    {
        string root = SharedData.Require("gtsrb-inconsistent");
        var e = Assert.Throws<DataFormatException>(() => GtsrbReader.Open(root).ReadTest().ToList());
        Assert.EndsWith("GT-final_test.csv", e.FilePath);
        Assert.Equal("line 2", e.Location);
        Assert.Contains("53x54 (expected)", e.Message);
        Assert.Contains("32x32 (found)", e.Message);
    }

    [SkippableFact]
    public void Inconsistent_sizes_rescale_or_skip()
    {
        string root = SharedData.Require("gtsrb-inconsistent");
        var rescaling = GtsrbReader.Open(root, ErrorPolicy.RescaleRoi);
        var records = rescaling.ReadTest().ToList();
        Assert.Equal(10, records.Count);
        Assert.Equal(10, rescaling.RescaledCount);
        Assert.All(records, r => Assert.True(r.Roi.X2 < 32 && r.Roi.Y2 < 32 && r.RoiRescaled));
        // Row 2: 00000.ppm;53;54;6;5;48;49 -> x edges [6, 49) * 32/53, y edges [5, 50) * 32/54.
        Assert.Equal(new RoiBox(4, 3, 29, 29), records[0].Roi);

        var skipping = GtsrbReader.Open(root, ErrorPolicy.Skip);
        Assert.Empty(skipping.ReadTest());
        Assert.Equal(10, skipping.Skipped.Count);
        Assert.All(skipping.Skipped, s => Assert.Contains("(found)", s.Reason));
    }
}
