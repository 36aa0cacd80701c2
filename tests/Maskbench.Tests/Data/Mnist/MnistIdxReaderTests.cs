using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using Maskbench.Data.Mnist;
using Maskbench.Tests.Support;

namespace Maskbench.Tests.Data.Mnist;

public class MnistIdxReaderTests
{
    static byte[] Idx(int magic, int[] dims, byte[] body)
    {
        var bytes = new byte[4 + 4 * dims.Length + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (int d = 0; d < dims.Length; d++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * d), dims[d]);
        body.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    static byte[] Gzip(byte[] data)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(data);
        return ms.ToArray();
    }

    [SkippableFact]
    public void ReadsTheRealTestSetWithTheReadmeLabelCounts()
    {
        string folder = SharedData.Require("mnist");
        var (imagesPath, labelsPath) = MnistIdxReader.Locate(folder);
        var (images, labels) = MnistIdxReader.ReadPair(imagesPath, labelsPath);
        Assert.Equal((10000, 28, 28), (images.Count, images.Rows, images.Columns));
        var counts = new int[10];
        foreach (byte l in labels) counts[l]++;
        Assert.Equal(new[] { 980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009 }, counts);
        // The README gives the files' MD5; the decoded pixels must at least look like digits: mostly 0, some 255.
        Assert.Equal("9fb629c4189551a2d022fa330f9573f3", Convert.ToHexStringLower(MD5.HashData(File.ReadAllBytes(imagesPath))));
        double zeros = images.Pixels.Count(p => p == 0) / (double)images.Pixels.Length;
        Assert.InRange(zeros, 0.7, 0.9);
    }

    [Fact]
    public void ReadsRawAndGzipIdentically()
    {
        using var tmp = new TempFolder();
        var body = Enumerable.Range(0, 2 * 3 * 4).Select(i => (byte)(i * 7)).ToArray();
        File.WriteAllBytes(tmp["raw"], Idx(2051, [2, 3, 4], body));
        File.WriteAllBytes(tmp["gz"], Gzip(Idx(2051, [2, 3, 4], body)));
        var a = MnistIdxReader.ReadImages(tmp["raw"]);
        var b = MnistIdxReader.ReadImages(tmp["gz"]);
        Assert.Equal((2, 3, 4), (a.Count, a.Rows, a.Columns));
        Assert.Equal(body, a.Pixels);
        Assert.Equal(body, b.Pixels);
        Assert.Equal(body[12..24], a.Image(1).ToArray());
    }

    [Fact]
    public void RejectsWrongMagicNamingTheFile()
    {
        using var tmp = new TempFolder();
        File.WriteAllBytes(tmp["labels-as-images"], Idx(2049, [3], [1, 2, 3]));
        var e = Assert.Throws<DataFormatException>(() => MnistIdxReader.ReadImages(tmp["labels-as-images"]));
        Assert.Equal(tmp["labels-as-images"], e.FilePath);
        Assert.Contains("2049", e.Message);
        Assert.Contains("labels file", e.Message);
    }

    [Fact]
    public void RejectsTruncatedBodyAndHeader()
    {
        using var tmp = new TempFolder();
        File.WriteAllBytes(tmp["short"], Idx(2051, [2, 2, 2], [1, 2, 3, 4, 5]));
        var e = Assert.Throws<DataFormatException>(() => MnistIdxReader.ReadImages(tmp["short"]));
        Assert.Contains("truncated", e.Message);
        Assert.Equal(tmp["short"], e.FilePath);
        File.WriteAllBytes(tmp["header"], [0, 0, 8, 3, 0]);
        Assert.Throws<DataFormatException>(() => MnistIdxReader.ReadImages(tmp["header"]));
    }

    [Fact]
    public void RejectsTruncatedGzipAndTrailingBytes()
    {
        using var tmp = new TempFolder();
        byte[] gz = Gzip(Idx(2051, [4, 8, 8], new byte[256]));
        File.WriteAllBytes(tmp["cut.gz"], gz[..(gz.Length / 2)]);
        var e = Assert.Throws<DataFormatException>(() => MnistIdxReader.ReadImages(tmp["cut.gz"]));
        Assert.Equal(tmp["cut.gz"], e.FilePath);
        File.WriteAllBytes(tmp["long"], Idx(2049, [2], [1, 2, 3]));
        Assert.Throws<DataFormatException>(() => MnistIdxReader.ReadLabels(tmp["long"]));
    }

    [Fact]
    public void RejectsCountMismatchAndNonDigitLabels()
    {
        using var tmp = new TempFolder();
        File.WriteAllBytes(tmp["images"], Idx(2051, [2, 1, 1], [0, 255]));
        File.WriteAllBytes(tmp["labels"], Idx(2049, [3], [1, 2, 3]));
        var e = Assert.Throws<DataFormatException>(() => MnistIdxReader.ReadPair(tmp["images"], tmp["labels"]));
        Assert.Equal(tmp["labels"], e.FilePath);
        Assert.Contains("3 labels", e.Message);
        File.WriteAllBytes(tmp["bad"], Idx(2049, [2], [1, 12]));
        var bad = Assert.Throws<DataFormatException>(() => MnistIdxReader.ReadLabels(tmp["bad"]));
        Assert.Contains("label index 1", bad.Message);
    }

    [Fact]
    public void SplitIsADeterministicDisjointPartition()
    {
        var (train, test) = MnistSplit.Indices(10000, 8000, 2000, seed: 7);
        var (train2, test2) = MnistSplit.Indices(10000, 8000, 2000, seed: 7);
        Assert.Equal(train, train2);
        Assert.Equal(test, test2);
        Assert.Equal(10000, train.Concat(test).Distinct().Count());
        Assert.NotEqual(train, MnistSplit.Indices(10000, 8000, 2000, seed: 8).Train);
    }
}
