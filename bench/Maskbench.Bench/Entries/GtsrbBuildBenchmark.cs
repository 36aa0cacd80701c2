using System.Diagnostics;
using System.Security.Cryptography;
using Maskbench.Data.Gtsrb;
using Maskbench.Data.Synthetic;
using Maskbench.Progress;

namespace Maskbench.Bench.Entries;

/// <summary>
/// The GTSRB pipeline end to end on synthetic data: `synth gtsrb` (images/s written, with true masks) and
/// `build gtsrb` (images/s read, segmented, cropped, resized and stored) on one worker and on all cores. The
/// speed-up is the ratio of the two builds, measured in the same run; both must give identical arrays.
/// </summary>
public sealed class GtsrbBuildBenchmark : IBenchmark
{
    public string Name => "gtsrb-build";
    public string Description => "synth gtsrb and build gtsrb throughput (images/s), build speed-up on all cores vs one";

    public BenchmarkResult Run(BenchmarkContext context)
    {
        var result = new BenchmarkResult();
        int perClass = context.Quick ? 2 : 8;
        string root = Path.Combine(context.WorkDirectory, "gtsrb-synth");
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        var clock = Stopwatch.StartNew();
        SyntheticGtsrb.Write(root, new SyntheticGtsrbOptions(Classes: 43, TrainPerClass: perClass, TestPerClass: 0, Seed: 1), NullProgress.Instance);
        int images = 43 * perClass;
        result.Add("synth gtsrb", images / clock.Elapsed.TotalSeconds, "images/s", $"{images} images, all cores");

        double one = Build(root, Path.Combine(context.WorkDirectory, "built-1"), 1, out string hashOne);
        double all = Build(root, Path.Combine(context.WorkDirectory, "built-all"), 0, out string hashAll);
        result.Add("build gtsrb, 1 worker", images / one, "images/s", "32x32, ROI crop, graph-cut masks");
        result.Add("build gtsrb, all cores", images / all, "images/s", $"{Environment.ProcessorCount} cores");
        result.Add("build speed-up (all cores / 1 worker)", one / all, "x");
        if (hashOne != hashAll) result.Notes.Add("the two builds differ: the output depends on the worker count (a bug)");
        return result;
    }

    static double Build(string root, string output, int workers, out string hash)
    {
        if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
        var clock = Stopwatch.StartNew();
        GtsrbDatasetBuilder.Build(root, output, new GtsrbBuildOptions { Workers = workers }, NullProgress.Instance);
        double seconds = clock.Elapsed.TotalSeconds;
        hash = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Path.Combine(output, "train", "masks.npy"))));
        return seconds;
    }
}
