using System.Security.Cryptography;
using Maskbench.Data;
using Maskbench.Data.Gtsrb;
using Maskbench.Data.Images;
using Maskbench.Data.Synthetic;
using Maskbench.Progress;
using Maskbench.Tests.Support;

namespace Maskbench.Tests.Data.Gtsrb;

public class SyntheticGtsrbTests
{
    static readonly SyntheticGtsrbOptions Tiny = new(Classes: 3, TrainPerClass: 8, TestPerClass: 2, Seed: 11, TrackLength: 3);

    [Fact]
    public void Writes_the_official_layout_that_the_reader_reads_back()
    {
        using var temp = new TempFolder();
        string root = temp["syn"];
        SyntheticGtsrb.Write(root, Tiny, NullProgress.Instance);

        for (int c = 0; c < 3; c++)
        {
            string csv = Path.Combine(root, "Final_Training", "Images", $"{c:D5}", $"GT-{c:D5}.csv");
            Assert.Equal(GtsrbFixtures.Header, File.ReadLines(csv).First());
            Assert.Equal(8, GtsrbFixtures.ReadRows(csv).Count);
        }
        Assert.Equal(["00000_00000.ppm", "00000_00001.ppm", "00000_00002.ppm", "00001_00000.ppm"],
            Directory.GetFiles(Path.Combine(root, "Final_Training", "Images", "00001"), "*.ppm").Select(Path.GetFileName)
                .Order(StringComparer.Ordinal).Take(4));
        Assert.True(File.Exists(Path.Combine(root, "Final_Test", "Images", "GT-final_test.csv")));
        Assert.Equal("P6", System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(Path.Combine(root, "Final_Test", "Images", "00000.ppm")), 0, 2));

        var reader = GtsrbReader.Open(root);
        var train = reader.ReadTraining().ToList();
        var test = reader.ReadTest().ToList();
        Assert.Equal(24, train.Count);
        Assert.Equal(6, test.Count);
        Assert.Equal([8, 8, 8], train.GroupBy(r => r.ClassId).Select(g => g.Count()));
        Assert.Equal([2, 2, 2], test.GroupBy(r => r.ClassId).OrderBy(g => g.Key).Select(g => g.Count()));
        Assert.Equal([0, 0, 0, 1, 1, 1, 2, 2], train.Where(r => r.ClassId == 0).Select(r => r.Track!.Value));
        Assert.Equal(["speed limit 20", "speed limit 30", "speed limit 50"], GtsrbGroundTruth.ClassNames(root));
        Assert.Equal(Path.Combine(root, "TrueMasks", "Final_Training", "00001", "00002_00001.png"),
            GtsrbGroundTruth.TrueMaskPath(root, "Final_Training/Images/00001/00002_00001.ppm"));
        Assert.Equal(Path.Combine(root, "TrueMasks", "Final_Test", "00004.png"), GtsrbGroundTruth.TrueMaskPath(root, "Final_Test/Images/00004.ppm"));
    }

    [Fact]
    public void Csv_roi_is_the_box_of_the_true_mask_with_a_gtsrb_border()
    {
        using var temp = new TempFolder();
        string root = temp["syn"];
        SyntheticGtsrb.Write(root, Tiny, NullProgress.Instance);
        var reader = GtsrbReader.Open(root);
        foreach (var r in reader.ReadTraining().Concat(reader.ReadTest()))
        {
            var mask = ImageFile.LoadMask(GtsrbGroundTruth.TrueMaskPath(root, Path.GetRelativePath(root, r.ImagePath)));
            Assert.Equal((r.Width, r.Height), (mask.Width, mask.Height));
            int x1 = int.MaxValue, y1 = int.MaxValue, x2 = -1, y2 = -1;
            for (int y = 0; y < mask.Height; y++)
                for (int x = 0; x < mask.Width; x++)
                    if (mask[x, y] != 0) { x1 = Math.Min(x1, x); y1 = Math.Min(y1, y); x2 = Math.Max(x2, x); y2 = Math.Max(y2, y); }
            Assert.Equal(new RoiBox(x1, y1, x2, y2), r.Roi);
            // GTSRB's border: at least 5 pixels (less a pixel of anti-aliasing) on every side.
            Assert.True(r.Roi.X1 >= 4 && r.Roi.Y1 >= 4 && r.Width - 1 - r.Roi.X2 >= 4 && r.Height - 1 - r.Roi.Y2 >= 4,
                $"{r.FileName}: {r.Roi} in {r.Width}x{r.Height}");
            Assert.InRange(r.Width, 20, 160);
            Assert.InRange(mask.ForegroundFraction, 0.15, 0.9);
        }
    }

    [Fact]
    public void Same_seed_gives_identical_bytes_whatever_the_workers_and_another_seed_differs()
    {
        using var temp = new TempFolder();
        SyntheticGtsrb.Write(temp["a"], Tiny with { Workers = 1 }, NullProgress.Instance);
        SyntheticGtsrb.Write(temp["b"], Tiny with { Workers = 3 }, NullProgress.Instance);
        SyntheticGtsrb.Write(temp["c"], Tiny with { Seed = 12, Workers = 2 }, NullProgress.Instance);
        var a = Fingerprint(temp["a"]);
        Assert.Equal(a, Fingerprint(temp["b"]));
        Assert.NotEqual(a, Fingerprint(temp["c"]));
        Assert.Equal(24 + 6, a.Count(kv => kv.Key.EndsWith(".ppm")));
        Assert.Equal(24 + 6, a.Count(kv => kv.Key.EndsWith(".png")));
    }

    [Fact]
    public void Refuses_a_non_empty_output_and_more_classes_than_designs()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp["x.txt"], "");
        Assert.Throws<MaskbenchException>(() => SyntheticGtsrb.Write(temp.Path, Tiny, NullProgress.Instance));
        Assert.Throws<MaskbenchException>(() => SyntheticGtsrb.Write(temp["new"], Tiny with { Classes = 44 }, NullProgress.Instance));
        Assert.False(Directory.Exists(temp["new"]));
    }

    [Fact]
    public void All_43_designs_differ_and_are_named()
    {
        Assert.Equal(43, SignDesigns.All.Count);
        Assert.Equal(43, SignDesigns.All.Select(d => d.Name).Distinct().Count());
        // Rendered head-on at 64 pixels, no two designs give the same picture.
        var pictures = SignDesigns.All.Select(d =>
        {
            var bytes = new byte[64 * 64];
            for (int y = 0; y < 64; y++)
                for (int x = 0; x < 64; x++)
                    bytes[y * 64 + x] = d.ColorAt((x + 0.5) / 32 - 1, (y + 0.5) / 32 - 1) is Rgb c ? (byte)(1 + 100 * c.R + 10 * c.G + c.B) : (byte)0;
            return Convert.ToHexString(SHA256.HashData(bytes));
        });
        Assert.Equal(43, pictures.Distinct().Count());
    }

    internal static Dictionary<string, string> Fingerprint(string root) =>
        Directory.GetFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));
}
