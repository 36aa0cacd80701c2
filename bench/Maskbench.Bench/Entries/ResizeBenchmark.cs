using System.Diagnostics;
using Maskbench.Data;
using Maskbench.Data.Images;
using Maskbench.Data.Store;

namespace Maskbench.Bench.Entries;

/// <summary>
/// Image resizing, in resizes per second on one thread, beside OpenCV's cv2.resize (one thread) on the same pixels:
/// 32×32 to 64×64 bilinear (INTER_LINEAR), a 640×480 photograph-like image to 224×224 and a GTSRB-sized 61×57 sign to
/// 32×32 by area averaging (INTER_AREA). The images go to the reference as .npy files. Both sides take the best of five
/// timed batches; OpenCV's figure includes Python's call overhead (about a microsecond per call).
/// </summary>
public sealed class ResizeBenchmark : IBenchmark
{
    public string Name => "resize";
    public string Description => "bilinear and area resizing (images/s), vs OpenCV cv2.resize";

    sealed record Case(string Key, string Label, RgbImage Source, int Width, int Height, int Iterations);

    public BenchmarkResult Run(BenchmarkContext context)
    {
        var result = new BenchmarkResult();
        int iterations = context.Quick ? 200 : 2000;
        var cases = new[]
        {
            new Case("linear_64", "32x32 to 64x64 (bilinear)", Smooth(32, 32, 1), 64, 64, iterations),
            new Case("area_224", "640x480 to 224x224 (area)", Smooth(640, 480, 2), 224, 224, Math.Max(10, iterations / 20)),
            new Case("area_32", "61x57 to 32x32 (area)", Smooth(61, 57, 3), 32, 32, iterations),
        };
        var ours = new Dictionary<string, double>();
        foreach (var c in cases)
        {
            ours[c.Key] = Rate(() => ImageResize.Resize(c.Source, c.Width, c.Height), c.Iterations);
            result.Add($"resize {c.Label}", ours[c.Key], "images/s");
        }

        var arguments = new List<string>();
        foreach (var c in cases)
        {
            string path = Path.Combine(context.WorkDirectory, $"resize-{c.Key}.npy");
            NpyFile.Write<byte>(path, c.Source.Pixels, "|u1", [c.Source.Height, c.Source.Width, 3]);
            arguments.AddRange([c.Key, path, c.Width.ToString(), c.Height.ToString(), c.Iterations.ToString()]);
        }
        var reference = PythonReference.Run("resize_reference.py", arguments.ToArray(), out string? note);
        if (reference is null)
        {
            result.Notes.Add(note ?? "no OpenCV reference");
            return result;
        }
        string version = $"OpenCV {reference["opencv"]}, one thread";
        foreach (var c in cases)
        {
            double theirs = reference[c.Key]!.GetValue<double>();
            result.Add($"OpenCV {c.Label}", theirs, "images/s", version);
            result.Add($"ours / OpenCV: {c.Label}", ours[c.Key] / theirs, "x");
        }
        return result;
    }

    /// <summary>Best of five timed batches of <paramref name="count"/> calls, in calls per second.</summary>
    static double Rate(Func<object> work, int count)
    {
        for (int i = 0; i < Math.Min(count, 50); i++) work();   // warm up (JIT tiers)
        double best = double.MaxValue;
        for (int batch = 0; batch < 5; batch++)
        {
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < count; i++) work();
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return count / best;
    }

    /// <summary>Gradients with seeded noise: compressible and varied like a photograph.</summary>
    static RgbImage Smooth(int width, int height, int seed)
    {
        var random = new Random(seed);
        var image = new RgbImage(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                image[x, y] = ((byte)(x * 255 / width), (byte)(y * 255 / height), (byte)random.Next(256));
        return image;
    }
}
