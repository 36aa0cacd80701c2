using Maskbench.Data;
using Maskbench.Data.Images;

namespace Maskbench.Tests.Data.Images;

public class ImageResizeTests
{
    static RgbImage RandomImage(Random random, int width, int height)
    {
        var pixels = new byte[width * height * 3];
        random.NextBytes(pixels);
        return new RgbImage(width, height, pixels);
    }

    static BinaryMask RandomMask(Random random, int width, int height)
    {
        var mask = new BinaryMask(width, height);
        // Blobs rather than noise, so thresholds are exercised near edges as well as on isolated pixels.
        int cx = random.Next(width), cy = random.Next(height), r = 1 + random.Next(Math.Max(width, height));
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                mask[x, y] = (byte)((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r || random.Next(7) == 0 ? 1 : 0);
        return mask;
    }

    /// <summary>The OpenCV fixtures' input: a fixed formula, so both sides can build it.</summary>
    static RgbImage Formula(int width, int height)
    {
        var image = new RgbImage(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                for (int c = 0; c < 3; c++)
                    image.Pixels[image.Offset(x, y) + c] = (byte)((x * 37 + y * 91 + c * 53 + x * y * 7) % 256);
        return image;
    }

    [Fact]
    public void MatchesTheBruteForceOracleExactlyOnRandomImagesAndSizes()
    {
        var random = new Random(2024);
        for (int trial = 0; trial < 150; trial++)
        {
            int sw = 1 + random.Next(17), sh = 1 + random.Next(17);
            int tw = 1 + random.Next(24), th = 1 + random.Next(24);
            var source = RandomImage(random, sw, sh);
            var expected = ReferenceResize.Resize(source, tw, th);
            var actual = ImageResize.Resize(source, tw, th);
            Assert.True(expected.Pixels.AsSpan().SequenceEqual(actual.Pixels), $"{sw}x{sh} -> {tw}x{th}");
        }
    }

    /// <summary>
    /// The integer path (taken where its sums fit in 32 bits) and the double path give the same bytes, on sizes up to
    /// those where the integer path's rounding margin is smallest; the oracle tests above run the integer path.
    /// </summary>
    [Fact]
    public void IntegerAndDoublePathsGiveTheSameBytes()
    {
        var random = new Random(7);
        int compared = 0;
        foreach (var (sw, sh, tw, th) in new[] { (32, 32, 64, 64), (640, 480, 224, 224), (217, 190, 32, 32), (33, 31, 1000, 997), (1, 1, 2048, 1024) }
                     .Concat(Enumerable.Range(0, 60).Select(_ => (1 + random.Next(300), 1 + random.Next(300), 1 + random.Next(300),
                     1 + random.Next(300)))))
        {
            var across = AxisWeights.ForImage(sw, tw);
            var down = AxisWeights.ForImage(sh, th);
            if (!ImageResize.FitsIntegerPath(across, down)) continue;
            var source = RandomImage(random, sw, sh);
            var exact = ImageResize.ResizeExact(source, across, down);
            Assert.True(exact.Pixels.AsSpan().SequenceEqual(ImageResize.ResizeInDoubles(source, across, down).Pixels), $"{sw}x{sh} -> {tw}x{th}");
            compared++;
        }
        Assert.True(compared >= 50, $"only {compared} size pairs took the integer path");
        Assert.False(ImageResize.FitsIntegerPath(AxisWeights.ForImage(3000, 2000), AxisWeights.ForImage(3000, 2000)),
            "large sizes take the double path");
        // Every growing axis takes the byte-shuffle horizontal pass (its taps fit in 16-byte windows).
        for (int source = 1; source <= 40; source++)
            for (int target = source + 1; target <= 3 * source + 8; target++)
                Assert.True(AxisWeights.ForImage(source, target).InterleavedBlocks3().Fits, $"{source} -> {target}");
    }

    [Theory]
    [InlineData(64, 48, 32, 24)]    // both halve: every mean of four is exact, ties round up
    [InlineData(30, 30, 7, 11)]     // fractional footprints
    [InlineData(9, 40, 23, 13)]     // one axis grows while the other shrinks
    [InlineData(5, 5, 17, 17)]
    public void MatchesTheOracleOnChosenSizes(int sw, int sh, int tw, int th)
    {
        var source = RandomImage(new Random(sw * 1000 + th), sw, sh);
        Assert.Equal(ReferenceResize.Resize(source, tw, th).Pixels, ImageResize.Resize(source, tw, th).Pixels);
    }

    [Fact]
    public void ConstantImagesStayConstantAndSameSizeIsACopy()
    {
        var grey = new RgbImage(13, 7, Enumerable.Repeat((byte)77, 13 * 7 * 3).ToArray());
        foreach (var (w, h) in new[] { (5, 3), (40, 21), (13, 2), (1, 1) })
            Assert.All(ImageResize.Resize(grey, w, h).Pixels, v => Assert.Equal(77, v));
        var same = ImageResize.Resize(grey, 13, 7);
        Assert.NotSame(grey.Pixels, same.Pixels);
        Assert.Equal(grey.Pixels, same.Pixels);
    }

    // OpenCV 4.6.0 (Debian python3-opencv) on Formula(12, 8) and Formula(4, 3), computed offline with
    // cv2.resize(a, (w, h), interpolation=cv2.INTER_AREA) and cv2.INTER_LINEAR; values in row-major RGB order.
    static readonly byte[] OpenCvArea6x4 =
    [
        66, 119, 172, 147, 136, 125, 100, 153, 142, 117, 106, 159, 134, 123, 112, 87, 140, 129, 127, 116, 105, 108, 161, 150,
        153, 142, 131, 134, 123, 112, 115, 104, 157, 160, 149, 138, 124, 177, 102, 133, 122, 111, 142, 131, 120, 151, 140, 129,
        96, 149, 138, 169, 94, 83, 121, 110, 163, 94, 147, 136, 131, 120, 109, 168, 93, 146, 141, 130, 119, 114, 103, 156,
    ];
    static readonly byte[] OpenCvArea4x2 =
    [
        99, 130, 141, 134, 145, 134, 128, 117, 127, 121, 131, 142, 128, 138, 127, 120, 130, 119, 133, 122, 132, 146, 114, 124,
    ];
    static readonly byte[] OpenCvLinear10x7 =
    [
        0, 53, 106, 4, 57, 110, 18, 71, 124, 33, 86, 139, 48, 101, 154, 63, 116, 169, 78, 131, 183, 92, 145, 198, 107, 160, 213, 111, 164, 217,
        13, 66, 119, 17, 70, 123, 32, 85, 138, 47, 100, 153, 62, 115, 157, 77, 131, 158, 93, 142, 162, 108, 143, 177, 123, 143, 193, 127, 143, 196,
        52, 105, 158, 56, 109, 162, 72, 125, 178, 89, 142, 195, 105, 158, 167, 121, 175, 125, 138, 176, 98, 154, 134, 114, 171, 92, 130, 175, 82, 135,
        91, 144, 197, 95, 148, 201, 113, 166, 219, 131, 184, 237, 148, 201, 177, 166, 219, 93, 183, 211, 33, 201, 126, 51, 219, 41, 69, 223, 20, 73,
        130, 183, 126, 135, 177, 131, 153, 152, 150, 172, 126, 168, 158, 134, 143, 133, 153, 104, 119, 157, 79, 138, 117, 97, 156, 78, 116,
        161, 68, 121,
        169, 222, 55, 174, 205, 61, 194, 137, 81, 214, 70, 100, 168, 68, 109, 100, 88, 115, 54, 104, 124, 75, 109, 144, 95, 114, 164, 99, 116, 169,
        182, 235, 32, 187, 214, 37, 207, 132, 57, 228, 50, 78, 171, 45, 98, 89, 66, 119, 33, 86, 139, 53, 106, 159, 74, 127, 180, 79, 132, 185,
    ];

    [Theory]
    [InlineData(12, 8, 6, 4)]
    [InlineData(12, 8, 4, 2)]
    [InlineData(4, 3, 10, 7)]
    public void AgreesWithOpenCvWithinOneLevel(int sw, int sh, int tw, int th)
    {
        byte[] expected = (tw, th) switch { (6, 4) => OpenCvArea6x4, (4, 2) => OpenCvArea4x2, _ => OpenCvLinear10x7 };
        byte[] actual = ImageResize.Resize(Formula(sw, sh), tw, th).Pixels;
        Assert.Equal(expected.Length, actual.Length);
        // OpenCV rounds area ties to even and interpolates with 11-bit fixed-point weights: at most one level apart.
        Assert.All(expected.Zip(actual), p => Assert.InRange(p.Second - p.First, -1, 1));
    }

    [Fact]
    public void MasksMatchTheOracleInBothModes()
    {
        var random = new Random(77);
        for (int trial = 0; trial < 120; trial++)
        {
            int sw = 1 + random.Next(20), sh = 1 + random.Next(20);
            int tw = 1 + random.Next(26), th = 1 + random.Next(26);
            var source = RandomMask(random, sw, sh);
            foreach (var mode in new[] { MaskResizeMode.Threshold, MaskResizeMode.Nearest })
            {
                var expected = ReferenceResize.Resize(source, tw, th, nearest: mode == MaskResizeMode.Nearest);
                var actual = ImageResize.Resize(source, tw, th, mode);
                Assert.True(expected.Values.AsSpan().SequenceEqual(actual.Values), $"{mode} {sw}x{sh} -> {tw}x{th}");
            }
        }
    }

    [Fact]
    public void MaskThresholdCountsExactlyHalfAsForeground()
    {
        // 4x2 -> 2x1: each output covers a 2x2 block; the left one is 2 of 4 foreground (exactly half), the right 1 of 4.
        var mask = new BinaryMask(4, 2, [1, 0, 1, 0, 0, 1, 0, 0]);
        Assert.Equal(new byte[] { 1, 0 }, ImageResize.Resize(mask, 2, 1).Values);
    }

    [Fact]
    public void MaskValuesOtherThanOneCountAsForeground()
    {
        var mask = new BinaryMask(2, 2, [255, 255, 0, 0]);
        Assert.Equal(new byte[] { 1 }, ImageResize.Resize(mask, 1, 1).Values);
        Assert.Equal(new byte[] { 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0 }, ImageResize.Resize(mask, 3, 4, MaskResizeMode.Nearest).Values[..12]);
    }
}
