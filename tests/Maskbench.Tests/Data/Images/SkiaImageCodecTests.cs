using System.Buffers.Binary;
using Maskbench.Data;
using Maskbench.Data.Images;
using Maskbench.Tests.Support;

namespace Maskbench.Tests.Data.Images;

public class SkiaImageCodecTests
{
    static RgbImage Gradient(int width, int height)
    {
        var image = new RgbImage(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                image[x, y] = ((byte)(x * 255 / (width - 1)), (byte)(y * 255 / (height - 1)), (byte)((x + y) * 255 / (width + height - 2)));
        return image;
    }

    static byte[] Encode(RgbImage image, CompressedFormat format)
    {
        using var memory = new MemoryStream();
        SkiaImageCodec.Write(image, memory, format);
        return memory.ToArray();
    }

    [Fact]
    public void PngRoundTripIsExact()
    {
        var pixels = new byte[33 * 17 * 3];
        new Random(9).NextBytes(pixels);
        var image = new RgbImage(33, 17, pixels);
        byte[] png = Encode(image, CompressedFormat.Png);
        Assert.Equal(2, png[25]);   // IHDR colour type 2: RGB, no alpha channel
        Assert.Equal(image.Pixels, SkiaImageCodec.Decode(png, "round.png").Pixels);
    }

    [Fact]
    public void JpegRoundTripIsClose()
    {
        var image = Gradient(64, 48);
        var back = SkiaImageCodec.Decode(Encode(image, CompressedFormat.Jpeg), "round.jpg");
        Assert.Equal((64, 48), (back.Width, back.Height));
        double mad = image.Pixels.Zip(back.Pixels, (a, b) => Math.Abs(a - b)).Average();
        Assert.True(mad < 2.0, $"mean abs difference {mad}");
    }

    /// <summary>
    /// 16×16 JPEGs with four flat 8×8 quadrants, made by PIL 9.4 (`Image.convert('CMYK'|'L').save(q=95)`); the
    /// expected RGB values at the quadrant centres are what OpenCV 4.6.0's `cv2.imread(IMREAD_COLOR)` decodes.
    /// </summary>
    const string CmykJpeg =
        "/9j/7gAOQWRvYmUAZAAAAAAA/9sAQwACAQEBAQECAQEBAgICAgIEAwICAgIFBAQDBAYFBgYGBQYGBgcJCAYHCQcGBggLCAkKCgoKCgYICwwLCgwJCgoK/8AAFAgAEAAQBEMRAE0R"
        + "AFkRAEsRAP/EAB8AAAEFAQEBAQEBAAAAAAAAAAABAgMEBQYHCAkKC//EALUQAAIBAwMCBAMFBQQEAAABfQECAwAEEQUSITFBBhNRYQcicRQygZGhCCNCscEVUtHwJDNicoIJChYX"
        + "GBkaJSYnKCkqNDU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6g4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2drh"
        + "4uPk5ebn6Onq8fLz9PX29/j5+v/aAA4EQwBNAFkASwAAPwD9IK/J+vyfr9/K/l/r+oCiiiv5f6/qAor+viv6+K94or//2Q==";
    const string GrayJpeg =
        "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAIBAQEBAQIBAQECAgICAgQDAgICAgUEBAMEBgUGBgYFBgYGBwkIBgcJBwYGCAsICQoKCgoKBggLDAsKDAkKCgr/wAALCAAQABABAREA"
        + "/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJico"
        + "KSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo"
        + "6erx8vP09fb3+Pn6/9oACAEBAAA/APl+vrivzPr+rCv/2Q==";

    [Theory]
    [InlineData(CmykJpeg, 201, 41, 41, 41, 201, 41, 41, 41, 201, 231, 231, 231)]
    [InlineData(GrayJpeg, 88, 88, 88, 134, 134, 134, 58, 58, 58, 230, 230, 230)]
    public void CmykAndGrayscaleJpegsBecomeRgb(string base64, params int[] expected)
    {
        var image = SkiaImageCodec.Decode(Convert.FromBase64String(base64), "special.jpg");
        (int X, int Y)[] centres = [(3, 3), (12, 3), (3, 12), (12, 12)];
        for (int i = 0; i < centres.Length; i++)
        {
            var (r, g, b) = image[centres[i].X, centres[i].Y];
            Assert.InRange(r, expected[3 * i] - 3, expected[3 * i] + 3);
            Assert.InRange(g, expected[3 * i + 1] - 3, expected[3 * i + 1] + 3);
            Assert.InRange(b, expected[3 * i + 2] - 3, expected[3 * i + 2] + 3);
        }
    }

    [Fact]
    public void GrayscalePngBecomesRgbWithEqualChannels()
    {
        byte[] gray = Enumerable.Range(0, 12).Select(i => (byte)(i * 20)).ToArray();
        using var memory = new MemoryStream();
        SkiaImageCodec.WriteGray(4, 3, gray, memory, CompressedFormat.Png);
        byte[] png = memory.ToArray();
        Assert.Equal(0, png[25]);   // IHDR colour type 0: grayscale
        var image = SkiaImageCodec.Decode(png, "gray.png");
        for (int i = 0; i < 12; i++) Assert.Equal((gray[i], gray[i], gray[i]), image[i % 4, i / 4]);
    }

    [Fact]
    public void AlphaIsDroppedKeepingTheStoredColour()
    {
        // RGBA PNG, one row: opaque red, half-transparent green, fully transparent blue.
        byte[] rgba = [255, 0, 0, 255, 0, 200, 0, 128, 0, 0, 90, 0];
        byte[] png = MinimalPng.Build(3, 1, colourType: 6, rows: [[0, .. rgba]]);
        var image = SkiaImageCodec.Decode(png, "alpha.png");
        Assert.Equal(new byte[] { 255, 0, 0, 0, 200, 0, 0, 0, 90 }, image.Pixels);
    }

    [SkippableFact]
    public void TruncatedJpegNamesTheFile()
    {
        string real = SharedData.Require("coco-val2017-mini/val2017/000000000139.jpg");
        using var folder = new TempFolder();
        string path = folder["half.jpg"];
        byte[] bytes = File.ReadAllBytes(real);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var error = Assert.Throws<DataFormatException>(() => ImageFile.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void CorruptAndTruncatedPngsNameTheFile()
    {
        byte[] png = Encode(Gradient(40, 30), CompressedFormat.Png);
        using var folder = new TempFolder();
        string cut = folder["cut.png"], garbage = folder["garbage.png"];
        File.WriteAllBytes(cut, png[..(png.Length - 60)]);
        byte[] broken = (byte[])png.Clone();
        for (int i = 60; i < broken.Length - 20; i++) broken[i] ^= 0x5A;
        File.WriteAllBytes(garbage, broken);
        foreach (string path in new[] { cut, garbage })
        {
            var error = Assert.Throws<DataFormatException>(() => ImageFile.Load(path));
            Assert.Contains(path, error.Message);
        }
    }

    [Fact]
    public void JpegMagicFollowedByGarbageNamesTheFile()
    {
        using var folder = new TempFolder();
        string path = folder["fake.jpg"];
        File.WriteAllBytes(path, [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4, 5, 6, 7, 8]);
        Assert.Contains(path, Assert.Throws<DataFormatException>(() => ImageFile.Load(path)).Message);
    }

    [Fact]
    public void HugePngIsRejectedFromItsHeaderWithoutAllocating()
    {
        using var folder = new TempFolder();
        string path = folder["huge.png"];
        File.WriteAllBytes(path, MinimalPng.Build(20000, 20000, colourType: 2, rows: [[0, 1, 2, 3]]));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<DataFormatException>(() => ImageFile.Load(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains(path, error.Message);
        Assert.Contains("400,000,000 pixels", error.Message);
        Assert.True(allocated < 1_000_000, $"allocated {allocated} bytes");
    }

    [SkippableFact]
    public void HugeJpegIsRejectedFromItsHeader()
    {
        byte[] bytes = File.ReadAllBytes(SharedData.Require("coco-val2017-mini/val2017/000000000139.jpg"));
        // Patch the SOF0 frame header (FF C0, length, precision, height, width) to 20000 x 20000.
        int sof = 2;
        while (!(bytes[sof] == 0xFF && bytes[sof + 1] is 0xC0 or 0xC2))
            sof += 2 + BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(sof + 2));
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(sof + 5), 20000);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(sof + 7), 20000);
        var error = Assert.Throws<DataFormatException>(() => SkiaImageCodec.Decode(bytes, "patched.jpg"));
        Assert.Contains("patched.jpg", error.Message);
        Assert.Contains("400,000,000 pixels", error.Message);
    }
}
