using System.Security.Cryptography;
using Maskbench.Data;
using Maskbench.Data.Gtsrb;
using Maskbench.Data.Synthetic;
using Maskbench.Progress;
using Maskbench.Tests.Support;

namespace Maskbench.Tests.Data.Gtsrb;

public class GtsrbDatasetBuilderTests
{
    static string Synthetic(TempFolder temp, int testPerClass = 1)
    {
        string root = temp["syn"];
        SyntheticGtsrb.Write(root, new SyntheticGtsrbOptions(Classes: 3, TrainPerClass: 6, TestPerClass: testPerClass, Seed: 3, TrackLength: 2),
            NullProgress.Instance);
        return root;
    }

    static Dictionary<string, string> NpyHashes(string dataset) =>
        Directory.GetFiles(dataset, "*.npy", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(dataset, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));

    [Fact]
    public void Rebuilding_gives_identical_npy_bytes_whatever_the_workers()
    {
        using var temp = new TempFolder();
        string root = Synthetic(temp);
        var options = new GtsrbBuildOptions { ImageSize = 16, Seed = 5 };
        GtsrbDatasetBuilder.Build(root, temp["d1"], options with { Workers = 1 }, NullProgress.Instance);
        GtsrbDatasetBuilder.Build(root, temp["d2"], options with { Workers = 3 }, NullProgress.Instance);
        var first = NpyHashes(temp["d1"]);
        Assert.Equal(6, first.Count);
        Assert.Equal(first, NpyHashes(temp["d2"]));
        Assert.Equal(File.ReadAllText(Path.Combine(temp["d1"], "dataset.json")).Replace("\"d1\"", "\"dX\""),
            File.ReadAllText(Path.Combine(temp["d2"], "dataset.json")).Replace("\"d2\"", "\"dX\""));

        using var dataset = DatasetStore.Open(temp["d1"]);
        Assert.Equal(["speed limit 20", "speed limit 30", "speed limit 50"], dataset.Manifest.ClassNames);
        Assert.False(dataset.Manifest.HorizontalFlipPreservesLabels);
        var train = dataset.Split("train");
        Assert.Equal(18, train.Count);
        Assert.Equal(16, train.ImageSize);
        Assert.Equal([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2], train.Labels);
        var test = dataset.Split("test");
        Assert.Equal(3, test.Count);
    }

    [Fact]
    public void The_same_source_in_another_place_gives_a_byte_identical_dataset()
    {
        using var temp = new TempFolder();
        var synthetic = new SyntheticGtsrbOptions(Classes: 3, TrainPerClass: 4, TestPerClass: 1, Seed: 3, TrackLength: 2);
        string here = Path.Combine(temp["a"], "gtsrb"), there = Path.Combine(temp["b"], "deeper", "gtsrb");
        SyntheticGtsrb.Write(here, synthetic, NullProgress.Instance);
        SyntheticGtsrb.Write(there, synthetic, NullProgress.Instance);
        var options = new GtsrbBuildOptions { ImageSize = 16, Seed = 5 };
        GtsrbDatasetBuilder.Build(here, Path.Combine(temp["out1"], "ds"), options, NullProgress.Instance);
        GtsrbDatasetBuilder.Build(there, Path.Combine(temp["out2"], "elsewhere", "ds"), options, NullProgress.Instance);
        foreach (var file in new[] { "dataset.json", "train/images.npy", "train/masks.npy", "test/labels.npy" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(temp["out1"], "ds", file)),
                File.ReadAllBytes(Path.Combine(temp["out2"], "elsewhere", "ds", file)));
    }

    [Fact]
    public void Test_fraction_holds_out_whole_tracks_of_every_class()
    {
        using var temp = new TempFolder();
        string root = Synthetic(temp, testPerClass: 0);
        var train = GtsrbReader.Open(root).ReadTraining().ToList();
        var (kept, held) = TrackHoldout.Split(train, 0.34, seed: 1);
        Assert.Equal(train.Count, kept.Count + held.Count);
        Assert.Empty(kept.Select(r => (r.ClassId, r.Track)).Intersect(held.Select(r => (r.ClassId, r.Track))));
        Assert.Equal([2, 2, 2], held.GroupBy(r => r.ClassId).Select(g => g.Count()));
        Assert.Equal(held, TrackHoldout.Split(train, 0.34, seed: 1).Test);

        var result = GtsrbDatasetBuilder.Build(root, temp["d"], new GtsrbBuildOptions { ImageSize = 8, TestFraction = 0.34 }, NullProgress.Instance);
        Assert.Equal((12, 6), (result.TrainCount, result.TestCount));
    }

    [Fact]
    public void Skip_leaves_out_bad_records_and_lists_them_in_the_manifest()
    {
        using var temp = new TempFolder();
        string root = Synthetic(temp, testPerClass: 0);
        string csv = Path.Combine(root, "Final_Training", "Images", "00001", "GT-00001.csv");
        File.AppendAllText(csv, "00009_00000.ppm;30;30;5;5;24;24;1\n");
        // A file whose header is fine but whose pixels stop short: only decoding finds it.
        string truncated = Path.Combine(root, "Final_Training", "Images", "00002", "00000_00001.ppm");
        var bytes = File.ReadAllBytes(truncated);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);

        var e = Assert.ThrowsAny<MaskbenchException>(() => GtsrbDatasetBuilder.Build(root, temp["stop"], new GtsrbBuildOptions { ImageSize = 8 },
            NullProgress.Instance));
        Assert.Contains("00009_00000.ppm does not exist", e.Message);
        Assert.Contains("line 8", e.Message);
        Assert.False(Directory.Exists(temp["stop"]));

        var result = GtsrbDatasetBuilder.Build(root, temp["d"], new GtsrbBuildOptions { ImageSize = 8, OnError = ErrorPolicy.Skip },
            NullProgress.Instance);
        Assert.Equal(17, result.TrainCount);
        Assert.Equal(2, result.Skipped.Count);
        using var dataset = DatasetStore.Open(temp["d"]);
        Assert.Equal(2, (int)dataset.Manifest.BuildParameters["skipped_count"]!);
        Assert.Contains("00009_00000.ppm", dataset.Manifest.BuildParameters["skipped"]!.ToJsonString());
        Assert.Equal("line 3", result.Skipped.Single(s => s.File.EndsWith("GT-00002.csv")).Location);

        // With the missing row gone, stopping reports the corrupt file and its CSV line.
        File.WriteAllLines(csv, File.ReadAllLines(csv)[..^1]);
        var corrupt = Assert.Throws<MaskbenchException>(() => GtsrbDatasetBuilder.Build(root, temp["stop"], new GtsrbBuildOptions { ImageSize = 8 },
            NullProgress.Instance));
        Assert.Contains(truncated, corrupt.Message);
        Assert.Contains("GT-00002.csv, line 3", corrupt.Message);
        var sources = dataset.Manifest.BuildParameters["sources"]!["train"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
        Assert.Equal(17, sources.Count);
        Assert.DoesNotContain(sources, s => s.StartsWith("Final_Training/Images/00002/00000_00001.ppm;"));
        Assert.StartsWith("Final_Training/Images/00000/00000_00000.ppm;", sources[0]);
    }

    [Fact]
    public void Roi_square_is_centred_on_the_roi_and_moved_inside_the_image()
    {
        Assert.Equal((5, 5, 22), RoiSquare.Box(new RoiBox(6, 6, 25, 25), 40, 40, 0.05));
        Assert.Equal((0, 0, 22), RoiSquare.Box(new RoiBox(0, 0, 19, 19), 40, 40, 0.05));
        // Wider than the image: centred, the overhang is filled by repeating the edge.
        var (x, _, side) = RoiSquare.Box(new RoiBox(0, 0, 19, 29), 20, 40, 0.1);
        Assert.Equal((-8, 36), (x, side));
        var image = new RgbImage(20, 40);
        image[0, 10] = (200, 100, 50);
        var (cropped, mask) = RoiSquare.Crop(image, new BinaryMask(20, 40), new RoiBox(0, 0, 19, 29), 0.1);
        Assert.Equal((byte)200, cropped[0, 10].R);
        Assert.Equal((byte)200, cropped[8, 10].R);
        Assert.Equal((byte)0, cropped[9, 10].R);
        Assert.Equal(36, mask.Width);
    }

    [SkippableFact]
    public void Real_gtsrb_builds_with_masks_inside_the_roi()
    {
        string root = SharedData.Require("gtsrb-original");
        using var temp = new TempFolder();
        var records = GtsrbReader.Open(root).ReadTraining().Where((_, i) => i % 10 < 2).ToList();
        var options = new GtsrbBuildOptions { ImageSize = 32, Crop = GtsrbCrop.Full, LimitPerClass = 2 };
        GtsrbDatasetBuilder.Build(root, temp["d"], options, NullProgress.Instance);
        using var dataset = DatasetStore.Open(temp["d"]);
        var split = dataset.Split("train");
        Assert.Equal(86, split.Count);
        Assert.Equal(records.Select(r => (long)r.ClassId), split.Labels);
        int empty = 0;
        for (int i = 0; i < split.Count; i++)
        {
            var r = records[i];
            var mask = split.Mask(i);
            // The ROI on the 32x32 grid, widened by a pixel for the resampling.
            double sx = 32.0 / r.Width, sy = 32.0 / r.Height;
            int x1 = (int)Math.Floor(r.Roi.X1 * sx) - 1, x2 = (int)Math.Ceiling((r.Roi.X2 + 1) * sx);
            int y1 = (int)Math.Floor(r.Roi.Y1 * sy) - 1, y2 = (int)Math.Ceiling((r.Roi.Y2 + 1) * sy);
            for (int y = 0; y < 32; y++)
                for (int x = 0; x < 32; x++)
                    if (mask[x, y] != 0) Assert.True(x >= x1 && x <= x2 && y >= y1 && y <= y2,
                        $"{r.FileName}: mask pixel ({x},{y}) outside ROI {r.Roi} of {r.Width}x{r.Height}");
            if (mask.CountForeground() == 0) empty++;
        }
        Assert.True(empty <= 2, $"{empty} of 86 masks are empty");
    }
}
