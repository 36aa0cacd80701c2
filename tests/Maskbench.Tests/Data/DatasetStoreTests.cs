using System.Security.Cryptography;
using Maskbench.Data;
using Maskbench.Tests.Support;

namespace Maskbench.Tests.Data;

public class DatasetStoreTests
{
    static (TempFolder Temp, string Folder, SplitArrays Train, SplitArrays Test) WriteSample()
    {
        var temp = new TempFolder();
        var train = SyntheticSplits.Random(13, 8, 4, seed: 1);
        var test = SyntheticSplits.Random(5, 8, 4, seed: 2);
        string folder = temp["ds"];
        DatasetStore.Write(folder, SyntheticSplits.Manifest(8, 4), new Dictionary<string, SplitArrays> { ["train"] = train, ["test"] = test });
        return (temp, folder, train, test);
    }

    [Fact]
    public void RoundTripKeepsEveryByteAndSummarizesCounts()
    {
        var (temp, folder, train, test) = WriteSample();
        using var _ = temp;
        using var ds = DatasetStore.Open(folder);
        Assert.Equal(["test", "train"], ds.SplitNames);
        var back = ds.Split("train").Load();
        Assert.Equal(train.Images, back.Images);
        Assert.Equal(train.Masks, back.Masks);
        Assert.Equal(train.Labels, back.Labels);
        var summary = ds.Manifest.Splits["test"];
        for (int c = 0; c < 4; c++) Assert.Equal(test.Labels.Count(l => l == c), summary.CountsPerClass[c]);
        double fg = Enumerable.Range(0, 5).Average(i => test.Masks.Skip(i * 64).Take(64).Count(v => v == 1) / 64.0);
        Assert.Equal(fg, summary.ForegroundFraction, 5);
        // Random access reads the same rows as the whole load.
        var rows = ds.Split("train").Load([12, 0, 7]);
        Assert.Equal(train.Labels[7], rows.Labels[2]);
        Assert.Equal(train.Image(12).Pixels, ds.Split("train").Image(12).Pixels);
    }

    [Fact]
    public void SameContentGivesSameBytes()
    {
        var (t1, f1, _, _) = WriteSample();
        var (t2, f2, _, _) = WriteSample();
        using (t1) using (t2)
        {
            foreach (var rel in new[] { "dataset.json", "train/images.npy", "train/masks.npy", "test/labels.npy" })
                Assert.Equal(File.ReadAllBytes(Path.Combine(f1, rel)), File.ReadAllBytes(Path.Combine(f2, rel)));
        }
    }

    [Fact]
    public void CorruptedArrayIsNamedInTheError()
    {
        var (temp, folder, _, _) = WriteSample();
        using var _ = temp;
        string path = Path.Combine(folder, "train", "images.npy");
        var bytes = File.ReadAllBytes(path);
        bytes[^1] ^= 0xFF;
        File.WriteAllBytes(path, bytes);
        using var ds = DatasetStore.Open(folder);
        var e = Assert.Throws<DataFormatException>(() => ds.Split("train"));
        Assert.Contains(path, e.Message);
        Assert.Contains("SHA-256", e.Message);
    }

    [Fact]
    public void TruncatedOrWrongShapeArraysAreRejectedEvenWithoutHashes()
    {
        var (temp, folder, _, _) = WriteSample();
        using var _ = temp;
        string masks = Path.Combine(folder, "test", "masks.npy");
        File.WriteAllBytes(masks, File.ReadAllBytes(masks)[..^10]);
        using (var ds = DatasetStore.Open(folder, verifyHashes: false))
        {
            var e = Assert.Throws<DataFormatException>(() => ds.Split("test"));
            Assert.Contains(masks, e.Message);
            Assert.Contains("truncated", e.Message);
        }
        string images = Path.Combine(folder, "train", "images.npy");
        Maskbench.Data.Store.NpyFile.Write<byte>(images, new byte[13 * 8 * 8], "|u1", [13, 8, 8]);
        using (var ds = DatasetStore.Open(folder, verifyHashes: false))
        {
            var e = Assert.Throws<DataFormatException>(() => ds.Split("train"));
            Assert.Contains("shape is (13, 8, 8), expected (13, 8, 8, 3)", e.Message);
        }
        File.WriteAllText(images, "not numpy at all");
        using (var ds = DatasetStore.Open(folder, verifyHashes: false))
            Assert.Contains("bad magic", Assert.Throws<DataFormatException>(() => ds.Split("train")).Message);
    }

    [Fact]
    public void MissingOrBrokenManifestIsNamed()
    {
        using var temp = new TempFolder();
        Assert.Contains("dataset.json", Assert.Throws<DataFormatException>(() => DatasetStore.Open(temp.Path)).Message);
        File.WriteAllText(temp["dataset.json"], "{ \"name\": ");
        Assert.Contains("invalid JSON", Assert.Throws<DataFormatException>(() => DatasetStore.Open(temp.Path)).Message);
    }

    [Fact]
    public void RewritingReplacesTheFolderWholeAndLeavesNoTemporaries()
    {
        var (temp, folder, _, _) = WriteSample();
        using var _ = temp;
        var other = SyntheticSplits.Random(3, 8, 4, seed: 9);
        DatasetStore.Write(folder, SyntheticSplits.Manifest(8, 4), new Dictionary<string, SplitArrays> { ["train"] = other });
        using var ds = DatasetStore.Open(folder);
        Assert.Equal(["train"], ds.SplitNames);
        Assert.False(Directory.Exists(Path.Combine(folder, "test")));
        Assert.Equal([folder], Directory.GetDirectories(temp.Path));
    }

    [SkippableFact]
    public void NumPyLoadsTheArraysWithMatchingValuesAndHashes()
    {
        var (temp, folder, train, _) = WriteSample();
        using var _ = temp;
        string output = Python.RunNumPy("""
            import sys, json, hashlib, numpy as np
            d = sys.argv[1]
            m = json.load(open(d + '/dataset.json'))
            im = np.load(d + '/train/images.npy', mmap_mode='r')
            ma = np.load(d + '/train/masks.npy')
            la = np.load(d + '/train/labels.npy')
            ok = all(hashlib.sha256(open(d + '/' + a['file'], 'rb').read()).hexdigest() == a['sha256']
                     for a in m['splits']['train']['arrays'].values())
            print(im.dtype, im.shape, ma.dtype, la.dtype, int(im.astype(np.int64).sum()), int(ma.sum()), int(la.sum()), ok)
            """, folder);
        long imageSum = train.Images.Sum(b => (long)b);
        long maskSum = train.Masks.Sum(b => (long)b);
        Assert.Equal($"uint8 (13, 8, 8, 3) uint8 int64 {imageSum} {maskSum} {train.Labels.Sum()} True", output);
    }

    [Fact]
    public void ManifestHashIsTheFileSha256()
    {
        var (temp, folder, _, _) = WriteSample();
        using var _ = temp;
        using var ds = DatasetStore.Open(folder);
        string expected = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(folder, "train", "labels.npy"))));
        Assert.Equal(expected, ds.Manifest.Splits["train"].Arrays["labels"].Sha256);
    }
}

public class DatasetDisposalTests
{
    [Fact]
    public void DisposingASplitAndThenItsDatasetIsSafe()
    {
        using var temp = new Maskbench.Tests.Support.TempFolder();
        Maskbench.Data.DatasetStore.Write(temp["ds"], Maskbench.Tests.Support.SyntheticSplits.Manifest(4, 2),
            new Dictionary<string, Maskbench.Data.SplitArrays> { ["train"] = Maskbench.Tests.Support.SyntheticSplits.Random(3, 4, 2, 1) });
        var ds = Maskbench.Data.DatasetStore.Open(temp["ds"]);
        ds.Split("train").Dispose();
        ds.Dispose();
        ds.Dispose();
    }
}
