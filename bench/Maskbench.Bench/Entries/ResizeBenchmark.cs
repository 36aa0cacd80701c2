using System.Diagnostics;
using Maskbench.Data;
using Maskbench.Data.Images;
using Maskbench.Data.Store;

namespace Maskbench.Bench.Entries;

/// <summary>
/// Image resizing, in resizes per second on one thread, beside OpenCV's cv2.resize on the same pixels with
/// cv2.setNumThreads(1) (ours resizes an image on the calling thread; pipelines parallelize over images): 32×32 to
/// 64×64 bilinear (INTER_LINEAR), a 640×480 photograph-like image to 224×224 and a GTSRB-sized 61×57 sign to 32×32 by
/// area averaging (INTER_AREA). The images go to the reference as .npy files. Each side times five batches per round,
/// ours first, then OpenCV's in its own process, for three rounds; each figure is the best batch of all rounds, by
/// wall clock and by the thread's CPU time (the latter counts only the time the thread ran, which on a shared machine is
/// the steadier comparison). OpenCV's figures include Python's call overhead (about a microsecond per call).
/// </summary>
public sealed class ResizeBenchmark : IBenchmark
{
    public string Name => "resize";
    public string Description => "bilinear and area resizing (images/s), vs OpenCV cv2.resize, one thread each";

    sealed record Case(string Key, string Label, RgbImage Source, int Width, int Height, int Iterations);

    public BenchmarkResult Run(BenchmarkContext context)
    {
        var result = new BenchmarkResult();
        int iterations = context.Quick ? 200 : 2000, rounds = context.Quick ? 1 : 3;
        var cases = new[]
        {
            new Case("linear_64", "32x32 to 64x64 (bilinear)", Smooth(32, 32, 1), 64, 64, iterations),
            new Case("area_224", "640x480 to 224x224 (area)", Smooth(640, 480, 2), 224, 224, Math.Max(10, iterations / 20)),
            new Case("area_32", "61x57 to 32x32 (area)", Smooth(61, 57, 3), 32, 32, iterations),
        };
        var arguments = new List<string>();
        foreach (var c in cases)
        {
            string path = Path.Combine(context.WorkDirectory, $"resize-{c.Key}.npy");
            NpyFile.Write<byte>(path, c.Source.Pixels, "|u1", [c.Source.Height, c.Source.Width, 3]);
            arguments.AddRange([c.Key, path, c.Width.ToString(), c.Height.ToString(), c.Iterations.ToString()]);
        }

        var ours = cases.ToDictionary(c => c.Key, _ => (Wall: 0.0, Cpu: 0.0));
        var theirs = cases.ToDictionary(c => c.Key, _ => (Wall: 0.0, Cpu: 0.0));
        string? version = null;
        for (int round = 0; round < rounds; round++)
        {
            foreach (var c in cases)
            {
                var (wall, cpu) = Rate(() => ImageResize.Resize(c.Source, c.Width, c.Height), c.Iterations);
                ours[c.Key] = (Math.Max(ours[c.Key].Wall, wall), Math.Max(ours[c.Key].Cpu, cpu));
            }
            var reference = PythonReference.Run("resize_reference.py", arguments.ToArray(), out string? note);
            if (reference is null)
            {
                result.Notes.Add(note ?? "no OpenCV reference");
                break;
            }
            version = $"OpenCV {reference["opencv"]}, cv2.setNumThreads(1)";
            foreach (var c in cases)
                theirs[c.Key] = (Math.Max(theirs[c.Key].Wall, reference[c.Key]!.GetValue<double>()),
                                 Math.Max(theirs[c.Key].Cpu, reference[c.Key + "_cpu"]!.GetValue<double>()));
        }
        foreach (var c in cases)
        {
            result.Add($"resize {c.Label}", ours[c.Key].Wall, "images/s", $"one thread; {ours[c.Key].Cpu:F0} per CPU second");
            if (version is null) continue;
            result.Add($"OpenCV {c.Label}", theirs[c.Key].Wall, "images/s", $"{version}; {theirs[c.Key].Cpu:F0} per CPU second");
            result.Add($"ours / OpenCV: {c.Label}", ours[c.Key].Wall / theirs[c.Key].Wall, "x", "wall clock");
            if (ours[c.Key].Cpu > 0 && theirs[c.Key].Cpu > 0)
                result.Add($"ours / OpenCV, CPU time: {c.Label}", ours[c.Key].Cpu / theirs[c.Key].Cpu, "x", "the thread's CPU time");
        }
        return result;
    }

    /// <summary>
    /// Five timed batches of <paramref name="count"/> calls after a warm-up: the best batch's calls per second by wall
    /// clock and by the thread's CPU time (0 where that clock is unavailable).
    /// </summary>
    static (double Wall, double Cpu) Rate(Func<object> work, int count)
    {
        for (int i = 0; i < Math.Min(count, 50); i++) work();   // warm up (JIT tiers)
        double bestWall = double.MaxValue, bestCpu = double.MaxValue;
        for (int batch = 0; batch < 5; batch++)
        {
            double? cpu = ThreadClock.Seconds();
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < count; i++) work();
            bestWall = Math.Min(bestWall, clock.Elapsed.TotalSeconds);
            if (cpu is { } start && ThreadClock.Seconds() is { } end) bestCpu = Math.Min(bestCpu, end - start);
        }
        return (count / bestWall, bestCpu == double.MaxValue ? 0 : count / bestCpu);
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
