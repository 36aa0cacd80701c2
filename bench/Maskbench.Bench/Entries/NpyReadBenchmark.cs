using System.Diagnostics;
using Maskbench.Batching;
using Maskbench.Data;
using TorchSharp;

namespace Maskbench.Bench.Entries;

/// <summary>
/// Read throughput of the dataset store: a GTSRB-sized split (32×32) written once, then read back memory-mapped as
/// shuffled tensor batches of 128 (what training does: images, masks and labels), in MB of images.npy per second.
/// NumPy's memory-mapped fancy-indexing read of the same split, converting images, masks and labels as a batch holds
/// them, is the reference; its images-only figure is reported beside it.
/// </summary>
public sealed class NpyReadBenchmark : IBenchmark
{
    public string Name => "npy-read";
    public string Description => "dataset store read throughput (shuffled batches to tensors, MB/s), vs NumPy mmap";

    public BenchmarkResult Run(BenchmarkContext context)
    {
        int n = context.Quick ? 5_000 : 40_000, size = 32, classes = 43;
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
        double best = double.MaxValue;
        for (int rep = 0; rep < 3; rep++)
        {
            var sw = Stopwatch.StartNew();
            foreach (var batch in DatasetBatches.Shuffled(split, 128, torch.CPU, seed: rep)) batch.Dispose();
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        double ours = megabytes / best;
        result.Add("shuffled batches to float tensors", ours, "MB/s", $"{n} images of {size}x{size}");
        var hashClock = Stopwatch.StartNew();
        using (DatasetStore.Open(folder, verifyHashes: true).Split("train")) { }
        result.Add("open with SHA-256 verification", megabytes / hashClock.Elapsed.TotalSeconds, "MB/s");

        var reference = PythonReference.Run("npy_read_reference.py", [Path.Combine(folder, "train", "images.npy"), "128"], out string? note);
        if (reference is null) result.Notes.Add(note ?? "no reference");
        else
        {
            double theirs = reference["mb_per_s"]!.GetValue<double>();
            double imagesOnly = reference["images_only_mb_per_s"]!.GetValue<double>();
            result.Add("NumPy mmap shuffled batches to float32", theirs, "MB/s", $"numpy {reference["numpy"]}; images, masks and labels");
            result.Add("NumPy, images only", imagesOnly, "MB/s");
            result.Add("ours / NumPy", ours / theirs, "x", "the same job");
            result.Add("ours / NumPy images only", ours / imagesOnly, "x", "ours also converts masks and labels");
        }
        return result;
    }
}
