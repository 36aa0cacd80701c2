using System.Text;
using System.Text.Json;
using Maskbench.Data.Images;
using Maskbench.Tests.Support;

namespace Maskbench.Tests.Data.Images;

/// <summary>Every real image file in ../shared/data decodes, with the size its own header and its dataset's index give.</summary>
public class RealImageFilesTests
{
    /// <summary>
    /// A deliberately naive header reading for the oracle: drop `#` comments line by line, split on whitespace.
    /// Valid for these files, whose last header line ends in one newline and whose maxval is 255.
    /// </summary>
    static (int Width, int Height, int MaxValue, int HeaderLength) NaiveHeader(byte[] file)
    {
        var tokens = new List<string>();
        int i = 0;
        while (tokens.Count < 4)
        {
            int end = Array.IndexOf(file, (byte)'\n', i);
            string line = Encoding.ASCII.GetString(file, i, end - i);
            i = end + 1;
            if (line.StartsWith('#')) continue;
            tokens.AddRange(line.Split((char[])[' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries));
        }
        Assert.Equal("P6", tokens[0]);
        return (int.Parse(tokens[1]), int.Parse(tokens[2]), int.Parse(tokens[3]), i);
    }

    static Dictionary<string, (int Width, int Height)> CsvSizes(string folder)
    {
        var sizes = new Dictionary<string, (int, int)>();
        foreach (string csv in Directory.EnumerateFiles(folder, "GT-*.csv", SearchOption.AllDirectories))
            foreach (string line in File.ReadLines(csv).Skip(1).Where(l => l.Length > 0))
            {
                string[] f = line.Split(';');
                // Training CSVs sit beside their images; the test CSV sits above its Images folder.
                string folderOfCsv = Path.GetDirectoryName(csv)!;
                string beside = Path.Combine(folderOfCsv, f[0]);
                sizes[File.Exists(beside) ? beside : Path.Combine(folderOfCsv, "Images", f[0])] = (int.Parse(f[1]), int.Parse(f[2]));
            }
        return sizes;
    }

    [SkippableTheory]
    [InlineData("gtsrb-original", true)]
    [InlineData("gtsrb-sample", true)]
    [InlineData("gtsrb-inconsistent", false)]
    public void EveryGtsrbPpmDecodesToItsHeaderSizeAndBytes(string dataset, bool csvAgrees)
    {
        string root = SharedData.Require(dataset);
        var csv = CsvSizes(root);
        string[] files = Directory.GetFiles(root, "*.ppm", SearchOption.AllDirectories);
        Assert.NotEmpty(files);
        int withComment = 0;
        foreach (string file in files)
        {
            byte[] bytes = File.ReadAllBytes(file);
            var header = NaiveHeader(bytes);
            if (bytes.AsSpan(0, header.HeaderLength).Contains((byte)'#')) withComment++;
            var image = ImageFile.Load(file);
            Assert.Equal((header.Width, header.Height), (image.Width, image.Height));
            Assert.Equal(255, header.MaxValue);
            Assert.True(bytes.AsSpan(header.HeaderLength).SequenceEqual(image.Pixels), file);
            if (csvAgrees) Assert.Equal(csv[file], (image.Width, image.Height));
        }
        if (dataset == "gtsrb-original") Assert.Equal(430, files.Length);
        if (dataset == "gtsrb-sample") Assert.True(withComment > 0, "the sample's OpenCV comment lines were not exercised");
    }

    [SkippableFact]
    public void EveryCocoJpegDecodesToTheSizeItsAnnotationsGive()
    {
        string root = SharedData.Require("coco-val2017-mini");
        using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(root, "annotations", "instances_val2017.json")));
        var sizes = json.RootElement.GetProperty("images").EnumerateArray().ToDictionary(
            e => e.GetProperty("file_name").GetString()!,
            e => (e.GetProperty("width").GetInt32(), e.GetProperty("height").GetInt32()));
        string[] files = Directory.GetFiles(Path.Combine(root, "val2017"), "*.jpg");
        Assert.Equal(sizes.Count, files.Length);
        foreach (string file in files)
        {
            var image = ImageFile.Load(file);
            Assert.Equal(sizes[Path.GetFileName(file)], (image.Width, image.Height));
        }
    }

    /// <summary>
    /// Fixture from OpenCV 4.6.0 (Debian python3-opencv, libjpeg-turbo), computed offline with
    /// `a = cv2.imread("000000000139.jpg", cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)[:, :, ::-1]`:
    /// per-channel means of the whole image and the RGB samples at x = i·w/8 + w/16, y = j·h/8 + h/16 for i, j in 0..7.
    /// </summary>
    static readonly double[] OpenCvMeans = [133.4877, 106.8886, 71.0808];
    static readonly int[] OpenCvSamples =
    [
        40, 26, 178, 147, 67, 120, 26, 178, 146, 63, 200, 26, 179, 126, 56, 280, 26, 164, 144, 75, 360, 26, 176, 167, 102, 440, 26, 175, 159, 82,
        520, 26, 161, 118, 63, 600, 26, 68, 74, 38,
        40, 79, 176, 163, 111, 120, 79, 170, 154, 94, 200, 79, 172, 141, 59, 280, 79, 176, 171, 133, 360, 79, 171, 118, 52, 440, 79, 180, 166, 78,
        520, 79, 177, 167, 98, 600, 79, 86, 101, 44,
        40, 132, 176, 150, 75, 120, 132, 169, 130, 61, 200, 132, 172, 140, 67, 280, 132, 189, 191, 178, 360, 132, 175, 179, 144, 440, 132, 172, 163,
        84, 520, 132, 160, 149, 85, 600, 132, 91, 106, 47,
        40, 185, 27, 28, 32, 120, 185, 25, 26, 31, 200, 185, 167, 131, 57, 280, 185, 189, 192, 181, 360, 185, 190, 195, 175, 440, 185, 76, 66, 54,
        520, 185, 160, 137, 59, 600, 185, 38, 37, 42,
        40, 239, 35, 29, 33, 120, 239, 24, 25, 30, 200, 239, 149, 80, 41, 280, 239, 165, 162, 109, 360, 239, 179, 138, 58, 440, 239, 181, 155, 62,
        520, 239, 177, 162, 71, 600, 239, 34, 34, 36,
        40, 292, 172, 160, 122, 120, 292, 161, 144, 98, 200, 292, 26, 24, 29, 280, 292, 165, 136, 68, 360, 292, 117, 43, 44, 440, 292, 34, 24, 25,
        520, 292, 169, 149, 60, 600, 292, 38, 37, 42,
        40, 345, 36, 31, 28, 120, 345, 54, 32, 35, 200, 345, 84, 35, 38, 280, 345, 141, 64, 48, 360, 345, 109, 44, 42, 440, 345, 155, 59, 45, 520,
        345, 140, 69, 47, 600, 345, 33, 34, 38,
        40, 398, 161, 86, 54, 120, 398, 153, 64, 46, 200, 398, 137, 57, 48, 280, 398, 155, 135, 84, 360, 398, 158, 149, 116, 440, 398, 155, 143, 105,
        520, 398, 185, 128, 134, 600, 398, 124, 49, 56,
    ];

    /// <summary>
    /// Both sides use libjpeg-turbo; offline, SkiaSharp 4.155's output was identical to OpenCV's on all 79 COCO files.
    /// The tolerance leaves room for another libjpeg build's IDCT or upsampling, not for a colour or layout error.
    /// </summary>
    [SkippableFact]
    public void JpegDecodingAgreesWithOpenCv()
    {
        var image = ImageFile.Load(SharedData.Require("coco-val2017-mini/val2017/000000000139.jpg"));
        Assert.Equal((640, 426), (image.Width, image.Height));
        for (int c = 0; c < 3; c++)
        {
            double mean = 0;
            for (int i = c; i < image.Pixels.Length; i += 3) mean += image.Pixels[i];
            mean /= image.Width * image.Height;
            Assert.InRange(mean, OpenCvMeans[c] - 0.1, OpenCvMeans[c] + 0.1);
        }
        double absoluteDifference = 0;
        for (int s = 0; s < OpenCvSamples.Length; s += 5)
        {
            var (r, g, b) = image[OpenCvSamples[s], OpenCvSamples[s + 1]];
            int worst = Math.Max(Math.Abs(r - OpenCvSamples[s + 2]),
                Math.Max(Math.Abs(g - OpenCvSamples[s + 3]), Math.Abs(b - OpenCvSamples[s + 4])));
            Assert.True(worst <= 2, $"pixel ({OpenCvSamples[s]}, {OpenCvSamples[s + 1]}) differs by {worst}");
            absoluteDifference += Math.Abs(r - OpenCvSamples[s + 2]) + Math.Abs(g - OpenCvSamples[s + 3]) + Math.Abs(b - OpenCvSamples[s + 4]);
        }
        Assert.True(absoluteDifference / (OpenCvSamples.Length / 5 * 3) <= 0.5,
            $"mean abs difference {absoluteDifference / (OpenCvSamples.Length / 5 * 3)}");
    }
}
