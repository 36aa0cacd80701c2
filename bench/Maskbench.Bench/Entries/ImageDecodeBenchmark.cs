using System.Diagnostics;
using Maskbench.Data;
using Maskbench.Data.Images;

namespace Maskbench.Bench.Entries;

/// <summary>
/// Image input speed: PPM decoding over the real GTSRB training files (430 PPMs of 25×25 to 220×190) and JPEG
/// decoding over the real COCO val2017 images, as `build gtsrb` and `build coco` read them (resizing is the `resize`
/// entry). Where ../shared/data is absent, synthetic files of the same kinds are written to the work folder. OpenCV
/// (cv2.imread on one thread) on the same files is the reference.
/// </summary>
public sealed class ImageDecodeBenchmark : IBenchmark
{
    public string Name => "image-decode";
    public string Description => "PPM and JPEG decoding (MB/s, images/s), vs OpenCV";

    public BenchmarkResult Run(BenchmarkContext context)
    {
        var result = new BenchmarkResult();
        int reps = context.Quick ? 1 : 3;
        string? shared = FindSharedData();
        string[] ppms = RealFiles(shared, Path.Combine("gtsrb-original", "GTSRB", "Final_Training", "Images"), "*.ppm");
        string[] jpegs = RealFiles(shared, Path.Combine("coco-val2017-mini", "val2017"), "*.jpg");
        if (ppms.Length == 0)
        {
            ppms = WriteSynthetic(context.WorkDirectory, "ppm", 430, seed: 1, width: r => 25 + r.Next(196), height: r => 25 + r.Next(166));
            result.Notes.Add("gtsrb-original not found: synthetic PPMs of GTSRB's sizes");
        }
        if (jpegs.Length == 0)
        {
            jpegs = WriteSynthetic(context.WorkDirectory, "jpg", 40, seed: 2, width: _ => 640, height: _ => 480);
            result.Notes.Add("coco-val2017-mini not found: synthetic 640x480 JPEGs");
        }

        var (ppmSeconds, ppmBytes) = BestPass(ppms, PpmCodec.Read, reps);
        var (jpegSeconds, _) = BestPass(jpegs, SkiaImageCodec.Read, reps);
        double oursPpm = ppmBytes / 1e6 / ppmSeconds, oursPpmImages = ppms.Length / ppmSeconds, oursJpeg = jpegs.Length / jpegSeconds;
        result.Add("PPM decode", oursPpm, "MB/s", $"{ppms.Length} files, RGB bytes out");
        result.Add("PPM decode", oursPpmImages, "images/s");
        result.Add("JPEG decode", oursJpeg, "images/s", $"{jpegs.Length} files");

        string ppmList = Path.Combine(context.WorkDirectory, "ppm-files.txt"), jpegList = Path.Combine(context.WorkDirectory, "jpeg-files.txt");
        File.WriteAllLines(ppmList, ppms);
        File.WriteAllLines(jpegList, jpegs);
        var reference = PythonReference.Run("image_decode_reference.py",
            [ppmList, jpegList, reps.ToString()], out string? note);
        if (reference is null)
        {
            result.Notes.Add(note ?? "no OpenCV reference");
            return result;
        }
        double Theirs(string key) => reference[key]!.GetValue<double>();
        string version = $"OpenCV {reference["opencv"]}, one thread";
        result.Add("ours / OpenCV: PPM decode", oursPpm / Theirs("ppm_mb_per_s"), "x", version);
        result.Add("ours / OpenCV: JPEG decode", oursJpeg / Theirs("jpeg_images_per_s"), "x", version);
        return result;
    }

    static (double Seconds, long PixelBytes) BestPass(string[] files, Func<string, RgbImage> decode, int reps)
    {
        double best = double.MaxValue;
        long bytes = 0;
        for (int rep = 0; rep < reps; rep++)
        {
            bytes = 0;
            var clock = Stopwatch.StartNew();
            foreach (string file in files) bytes += decode(file).Pixels.Length;
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return (best, bytes);
    }

    static string[] RealFiles(string? shared, string folder, string pattern)
    {
        if (shared is null || !Directory.Exists(Path.Combine(shared, folder))) return [];
        string[] files = Directory.GetFiles(Path.Combine(shared, folder), pattern, SearchOption.AllDirectories);
        Array.Sort(files, StringComparer.Ordinal);
        return files;
    }

    /// <summary>Smooth images with noise (compressible like photographs), sizes drawn from a fixed seed.</summary>
    static string[] WriteSynthetic(string workDirectory, string extension, int count, int seed, Func<Random, int> width, Func<Random, int> height)
    {
        string folder = Path.Combine(workDirectory, "synthetic-" + extension);
        Directory.CreateDirectory(folder);
        var random = new Random(seed);
        var files = new string[count];
        for (int i = 0; i < count; i++)
        {
            int w = width(random), h = height(random);
            var image = new RgbImage(w, h);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    image[x, y] = ((byte)(x * 255 / w), (byte)(y * 255 / h), (byte)random.Next(256));
            files[i] = Path.Combine(folder, $"{i:D5}.{extension}");
            ImageFile.Save(image, files[i]);
        }
        return files;
    }

    /// <summary>../shared/data as the tests find it: MASKBENCH_SHARED_DATA, else a `shared/data` beside an ancestor folder.</summary>
    static string? FindSharedData()
    {
        string? configured = Environment.GetEnvironmentVariable("MASKBENCH_SHARED_DATA");
        if (!string.IsNullOrEmpty(configured) && Directory.Exists(configured)) return configured;
        foreach (string start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "shared", "data");
                if (File.Exists(Path.Combine(candidate, "README.md"))) return candidate;
            }
        return null;
    }
}
