using System.Diagnostics;
using Maskbench.Batching;
using Maskbench.Data;
using TorchSharp;

namespace Maskbench.Bench.Entries;

/// <summary>
/// Read throughput of the dataset store: a GTSRB-sized split (32×32) written once, then read back memory-mapped as
/// shuffled tensor batches of 128 (what training does: images, masks and labels), in MB of images.npy per second.
/// NumPy's memory-mapped fancy-indexing read of the same split, converting images, masks and labels as a batch holds
/// them, is the reference; its images-only figure is reported beside it. Both sides run on one thread (NumPy's
/// indexing and conversions are single-threaded, and so is the batch gather). Each round times two passes over the
/// split on our side, then two in NumPy's own process; of three rounds, each figure is the best pass, by wall clock
/// and by the thread's CPU time (the steadier comparison on a shared machine).
/// </summary>
public sealed class NpyReadBenchmark : IBenchmark
{
    public string Name => "npy-read";
    public string Description => "dataset store read throughput (shuffled batches to tensors, MB/s), vs NumPy mmap";

    public BenchmarkResult Run(BenchmarkContext context)
    {
        int n = context.Quick ? 5_000 : 40_000, size = 32, classes = 43, rounds = context.Quick ? 1 : 3, passes = 2;
        var arrays = new SplitArrays(n, size);
        var rng = new Random(1);
        rng.NextBytes(arrays.Images);
        for (int i = 0; i < n; i++) arrays.Labels[i] = rng.Next(classes);
        string folder = Path.Combine(context.WorkDirectory, "ds");
        DatasetStore.Write(folder, new DatasetManifest
        {
            Name = "bench", ClassNames = Enumerable.Range(0, classes).Select(c => c.ToString()).ToList(), ImageSize = size, Source = "random",
        }, new Dictionary<string, SplitArrays> { ["train"] = arrays });
        double megabytes = (double)arrays.Images.Length / 1e6;
        var result = new BenchmarkResult();

        using var ds = DatasetStore.Open(folder, verifyHashes: false);
        var split = ds.Split("train");
        double bestWall = double.MaxValue, bestCpu = double.MaxValue;
        double theirs = 0, theirsCpu = 0, imagesOnly = 0, imagesOnlyCpu = 0;
        string? numpy = null;
        for (int round = 0; round < rounds; round++)
        {
            for (int pass = 0; pass < passes; pass++)
            {
                double? cpu = ThreadClock.Seconds();
                var sw = Stopwatch.StartNew();
                foreach (var batch in DatasetBatches.Shuffled(split, 128, torch.CPU, seed: round * passes + pass)) batch.Dispose();
                bestWall = Math.Min(bestWall, sw.Elapsed.TotalSeconds);
                if (cpu is { } start && ThreadClock.Seconds() is { } end) bestCpu = Math.Min(bestCpu, end - start);
            }
            var reference = PythonReference.Run("npy_read_reference.py", [Path.Combine(folder, "train", "images.npy"), "128", $"{passes}"],
                out string? note);
            if (reference is null)
            {
                result.Notes.Add(note ?? "no reference");
                break;
            }
            numpy = reference["numpy"]!.GetValue<string>();
            theirs = Math.Max(theirs, reference["mb_per_s"]!.GetValue<double>());
            theirsCpu = Math.Max(theirsCpu, reference["mb_per_cpu_s"]!.GetValue<double>());
            imagesOnly = Math.Max(imagesOnly, reference["images_only_mb_per_s"]!.GetValue<double>());
            imagesOnlyCpu = Math.Max(imagesOnlyCpu, reference["images_only_mb_per_cpu_s"]!.GetValue<double>());
        }
        double ours = megabytes / bestWall, oursCpu = bestCpu == double.MaxValue ? 0 : megabytes / bestCpu;
        result.Add("shuffled batches to float tensors", ours, "MB/s", $"{n} images of {size}x{size}; {oursCpu:F0} per CPU second");
        var hashClock = Stopwatch.StartNew();
        using (DatasetStore.Open(folder, verifyHashes: true).Split("train")) { }
        result.Add("open with SHA-256 verification", megabytes / hashClock.Elapsed.TotalSeconds, "MB/s");
        if (numpy is null) return result;
        result.Add("NumPy mmap shuffled batches to float32", theirs, "MB/s",
            $"numpy {numpy}; images, masks and labels; {theirsCpu:F0} per CPU second");
        result.Add("NumPy, images only", imagesOnly, "MB/s", $"{imagesOnlyCpu:F0} per CPU second");
        result.Add("ours / NumPy", ours / theirs, "x", "the same job, wall clock");
        if (oursCpu > 0) result.Add("ours / NumPy, CPU time", oursCpu / theirsCpu, "x", "the same job, the thread's CPU time");
        result.Add("ours / NumPy images only", ours / imagesOnly, "x", "ours also converts masks and labels");
        if (oursCpu > 0) result.Add("ours / NumPy images only, CPU time", oursCpu / imagesOnlyCpu, "x");
        return result;
    }
}
