using Maskbench.Data;
using Maskbench.Data.Images;
using Maskbench.Tests.Support;

namespace Maskbench.Tests.Data.Images;

public class TwoTapResizeTests
{
    static RgbImage RandomImage(Random random, int width, int height)
    {
        var pixels = new byte[width * height * 3];
        random.NextBytes(pixels);
        return new RgbImage(width, height, pixels);
    }

    static bool SixteenBitRounding(AxisWeights across, AxisWeights down)
    {
        int d = across.Reduced().Denominator * down.Reduced().Denominator;
        return (d & (d - 1)) == 0 && 255 * d + d / 2 < 65536;
    }

    /// <summary>
    /// Upscaling (and axes kept as they are) on random sizes, odd ones included: the vector and the scalar loops both
    /// give the brute-force oracle's bytes, through both vertical roundings (16-bit shift, 32-bit division).
    /// </summary>
    [Fact]
    public void MatchesTheOracleOnBothRoundingsWithAndWithoutVectors()
    {
        var random = new Random(17);
        int shifts = 0, divisions = 0;
        var sizes = new List<(int, int, int, int)> 
        {
            (32, 32, 64, 64), (8, 8, 32, 32), (12, 10, 24, 20), (21, 7, 42, 14), (16, 3, 32, 3),   // 16-bit rounding
            (6, 6, 7, 7), (11, 5, 11, 23), (9, 9, 40, 9), (16, 16, 17, 33),
        };
        for (int trial = 0; trial < 60; trial++)
        {
            int sw = 6 + random.Next(20), sh = 1 + random.Next(20);
            sizes.Add((sw, sh, sw + random.Next(3 * sw), sh + random.Next(3 * sh)));
        }
        foreach (var (sw, sh, tw, th) in sizes)
        {
            if (tw == sw && th == sh) continue;
            var across = AxisWeights.ForImage(sw, tw);
            var down = AxisWeights.ForImage(sh, th);
            if (!TwoTapResize.Applies(across, down)) continue;
            var source = RandomImage(random, sw, sh);
            var expected = ReferenceResize.Resize(source, tw, th).Pixels;
            Assert.True(expected.AsSpan().SequenceEqual(TwoTapResize.Resize(source, across, down, vectors: true).Pixels),
                $"vectors {sw}x{sh} -> {tw}x{th}");
            Assert.True(expected.AsSpan().SequenceEqual(TwoTapResize.Resize(source, across, down, vectors: false).Pixels),
                $"scalar {sw}x{sh} -> {tw}x{th}");
            Assert.True(expected.AsSpan().SequenceEqual(ImageResize.Resize(source, tw, th).Pixels), $"ImageResize {sw}x{sh} -> {tw}x{th}");
            if (SixteenBitRounding(across, down)) shifts++;
            else divisions++;
        }
        Assert.True(shifts >= 3 && divisions >= 20, $"shift roundings {shifts}, divisions {divisions}");
    }

    [Fact]
    public void TakesTheSizesItIsMeantForAndNoOthers()
    {
        Assert.True(TwoTapResize.Applies(AxisWeights.ForImage(32, 64), AxisWeights.ForImage(32, 64)));
        Assert.True(TwoTapResize.Applies(AxisWeights.ForImage(30, 32), AxisWeights.ForImage(30, 30)));   // 32 in 32nds; rows copied
        Assert.Equal(4, AxisWeights.ForImage(32, 64).Reduced().Denominator);   // quarters
        // Every growing axis from 6 pixels up fits the 16-byte windows while its reduced denominator is at most 127.
        for (int source = 6; source <= 60; source++)
            for (int target = source + 1; target <= 4 * source; target++)
            {
                var axis = AxisWeights.ForImage(source, target);
                Assert.Equal(axis.Reduced().Denominator <= 127, axis.TwoTapAcross() is not null);
            }
        Assert.False(TwoTapResize.Applies(AxisWeights.ForImage(61, 32), AxisWeights.ForImage(57, 32)));   // area: three taps
        Assert.False(TwoTapResize.Applies(AxisWeights.ForImage(100, 129), AxisWeights.ForImage(8, 16)));  // Dx = 258
        Assert.False(TwoTapResize.Applies(AxisWeights.ForImage(4, 10), AxisWeights.ForImage(4, 10)));     // 12-byte rows
        Assert.False(TwoTapResize.Applies(AxisWeights.ForImage(32, 64), AxisWeights.ForImage(40, 13)));   // rows shrink by area
    }

    /// <summary>
    /// Live OpenCV (Debian python3-opencv): cv2.resize INTER_LINEAR where both axes grow or keep their size and
    /// INTER_AREA where both shrink, on the same random pixels. OpenCV's linear weights are 11-bit fixed point and it
    /// rounds area ties to even, so each byte is within one level of ours; at least three in four are equal.
    /// </summary>
    [SkippableFact]
    public void AgreesWithOpenCvWithinOneLevel()
    {
        var random = new Random(5);
        var cases = new[] { (32, 32, 64, 64), (17, 13, 40, 29), (31, 7, 64, 7), (6, 9, 23, 50), (61, 57, 32, 32), (640, 480, 224, 224),
            (33, 21, 16, 11) };
        string folder = Path.Combine(Path.GetTempPath(), $"maskbench-cv2-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            var arguments = new List<string>();
            var sources = new List<RgbImage>();
            for (int k = 0; k < cases.Length; k++)
            {
                var (sw, sh, tw, th) = cases[k];
                var source = RandomImage(random, sw, sh);
                sources.Add(source);
                File.WriteAllBytes(Path.Combine(folder, $"{k}.in"), source.Pixels);
                arguments.AddRange([Path.Combine(folder, $"{k}.in"), $"{sw}", $"{sh}", $"{tw}", $"{th}"]);
            }
            const string script = """
                import sys
                import numpy as np
                try:
                    import cv2
                except ImportError:
                    print("no-cv2"); sys.exit(0)
                cv2.setNumThreads(1)
                a = sys.argv[1:]
                for k in range(0, len(a), 5):
                    path, sw, sh, tw, th = a[k], *map(int, a[k + 1:k + 5])
                    image = np.fromfile(path, np.uint8).reshape(sh, sw, 3)
                    mode = cv2.INTER_AREA if tw < sw else cv2.INTER_LINEAR
                    cv2.resize(image, (tw, th), interpolation=mode).tofile(path + ".cv2")
                print("ok")
                """;
            string answer = Python.RunNumPy(script, arguments.ToArray());
            Skip.If(answer == "no-cv2", "OpenCV is not installed (apt-get install python3-opencv)");
            for (int k = 0; k < cases.Length; k++)
            {
                var (sw, sh, tw, th) = cases[k];
                byte[] theirs = File.ReadAllBytes(Path.Combine(folder, $"{k}.in.cv2"));
                byte[] ours = ImageResize.Resize(sources[k], tw, th).Pixels;
                Assert.Equal(theirs.Length, ours.Length);
                int equal = 0;
                for (int i = 0; i < ours.Length; i++)
                {
                    Assert.True(Math.Abs(ours[i] - theirs[i]) <= 1, $"{sw}x{sh} -> {tw}x{th}: byte {i} is {ours[i]}, OpenCV {theirs[i]}");
                    if (ours[i] == theirs[i]) equal++;
                }
                Assert.True(equal >= 0.75 * ours.Length, $"{sw}x{sh} -> {tw}x{th}: only {equal} of {ours.Length} bytes equal OpenCV's");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
