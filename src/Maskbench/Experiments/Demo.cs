using System.Diagnostics;
using Maskbench.Data.Gtsrb;
using Maskbench.Data.Synthetic;
using Maskbench.Progress;
using static TorchSharp.torch;

namespace Maskbench.Experiments;

/// <summary>
/// <c>maskbench demo</c>: synthetic GTSRB-format images → <c>build gtsrb</c> (graph-cut masks) → the <c>cpu</c> grid →
/// predicted-mask rows (<see cref="PredictedMaskStage"/>) → the report, end to end on a laptop. Each stage is cached by its output (a rerun reuses
/// the images, the dataset and every finished cell), so an interrupted demo continues where it stopped.
/// </summary>
public static class Demo
{
    public sealed record Settings(int Classes = 8, int TrainPerClass = 200, int TestPerClass = 25, int Seed = 0);

    public sealed record Outcome(string ReportPath, Reproduction.Outcome Grid, TimeSpan Elapsed);

    /// <summary>
    /// The demo's grid: the cpu profile with 1,600 training images (fewer leave the natural models near chance on
    /// the eight look-alike speed-limit designs), 15 epochs and 2-step PGD training with ε ramped up over the first 8, so that data, segmentation,
    /// six models and all evaluations fit in two to three minutes on 2 cores.
    /// </summary>
    public static ExperimentProfile Profile { get; } = ExperimentProfile.Cpu with
    {
        Name = "demo", Epochs = 15, TrainSteps = 2, TrainEpsilonWarmup = 8, TestLimit = 200, SquareQueries = 100, ValidationCount = 100,
    };

    /// <summary>The demo's predicted-mask stage: a slim masker (base width 8) and 10-step attacks on the grid's test rows.</summary>
    public static PredictedMaskStage.Settings PredictedMasks { get; } = new()
    {
        BaseWidth = 8, Epochs = 6, Steps = 10, Epsilon = ExperimentProfile.PaperEpsilon, TestLimit = Profile.TestLimit, Seed = Profile.Seed,
    };

    public static Outcome Run(string outFolder, Settings settings, Device device, IProgressSink progress)
    {
        var clock = Stopwatch.StartNew();
        string source = Path.Combine(outFolder, "gtsrb-synthetic");
        string dataset = Path.Combine(outFolder, "gtsrb-ic");
        string grid = Path.Combine(outFolder, "grid");
        if (!File.Exists(Path.Combine(source, GtsrbGroundTruth.MarkerFileName)))
        {
            progress.Info($"1/4 synthetic GTSRB: {settings.Classes} classes, {settings.TrainPerClass} training and {settings.TestPerClass} test "
                + $"images each -> {source}");
            if (Directory.Exists(source)) Directory.Delete(source, recursive: true);
            SyntheticGtsrb.Write(source, new SyntheticGtsrbOptions(settings.Classes, settings.TrainPerClass, settings.TestPerClass, settings.Seed),
                progress);
        }
        else progress.Info($"1/4 synthetic GTSRB: reusing {source}");
        if (!File.Exists(Path.Combine(dataset, Data.DatasetStore.ManifestFile)))
        {
            progress.Info($"2/4 build gtsrb: graph-cut foreground masks -> {dataset}");
            GtsrbDatasetBuilder.Build(source, dataset, new GtsrbBuildOptions { ImageSize = 32, Seed = settings.Seed }, progress);
        }
        else progress.Info($"2/4 build gtsrb: reusing {dataset}");
        progress.Info($"3/4 grid ({Profile.Name} profile: {Profile.Arch} x{Profile.Width}, {Profile.Epochs} epochs) -> {grid}");
        // The grid folder is the demo's own: a plan from another version of the demo is replaced (its cells stay cached).
        var outcome = Reproduction.Run(dataset, grid, Profile, null, CellSelection.All, device, progress, replaceOtherPlan: true);
        progress.Info($"4/4 predicted masks: a learned masker in front of the oracle-mask models, under adaptive attacks -> "
            + $"{Path.Combine(grid, PredictedMaskStage.Folder)}");
        var results = outcome.Results;
        results.PredictedMasks = PredictedMaskStage.Run(dataset, grid, results, PredictedMasks, device, progress);
        string report = Reports.ReportWriter.Write(results, grid, Path.GetFullPath(grid));
        return new Outcome(report, outcome with { ReportPath = report }, clock.Elapsed);
    }
}
