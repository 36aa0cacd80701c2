using System.Diagnostics;
using Maskbench.Data.Images;
using Maskbench.Masks;
using Maskbench.Progress;

namespace Maskbench.Data.Gtsrb;

/// <summary>One image to segment and judge: its ROI, class and, when known, its true mask.</summary>
public sealed record MaskEvaluationItem(string ImagePath, RoiBox Roi, int ClassId, string? TruthPath);

/// <summary>What <see cref="GtsrbMaskEvaluation.Segment"/> measured.</summary>
public sealed record MaskEvaluationReport(int Count, RoiAgreementSummary Roi, IoUSummary? IoU, double Seconds, double MaxFlowSeconds, int Workers)
{
    public double MasksPerSecond => Count / Seconds;
}

/// <summary>
/// Judges masks of GTSRB images (real or synthetic): segments every image at its original resolution and reports
/// the ROI figures (empty masks, share inside the ROI, share of the ROI covered) and, when true masks exist, the IoU
/// per class; or compares a built dataset's masks with true masks brought to the dataset's crop and size.
/// </summary>
public static class GtsrbMaskEvaluation
{
    /// <summary>
    /// The records of a GTSRB root (training, then test). <paramref name="truth"/> is a synthetic root (holding
    /// TrueMasks/), a TrueMasks folder, or any folder of PNG masks laid out like the images.
    /// </summary>
    public static List<MaskEvaluationItem> Items(string root, string? truth, int? limitPerClass = null)
    {
        var reader = GtsrbReader.Open(root);
        var layout = reader.Layout;
        var records = new List<GtsrbRecord>();
        if (layout.TrainingImages is not null) records.AddRange(reader.ReadTraining());
        if (layout.TestImages is not null) records.AddRange(reader.ReadTest());
        if (limitPerClass is int limit)
            records = records.GroupBy(r => (r.Split, r.ClassId)).SelectMany(g => g.Take(limit)).ToList();
        return records.Select(r => new MaskEvaluationItem(r.ImagePath, r.Roi, r.ClassId,
            truth is null ? null : TruthPath(truth, Path.GetRelativePath(layout.Root, r.ImagePath)))).ToList();
    }

    /// <summary>Where the true mask of an image (path relative to its root) lies under <paramref name="truth"/>.</summary>
    public static string TruthPath(string truth, string relativeImagePath)
    {
        if (Directory.Exists(Path.Combine(truth, GtsrbGroundTruth.TrueMasksFolder))) return GtsrbGroundTruth.TrueMaskPath(truth, relativeImagePath);
        string full = Path.GetFullPath(truth).TrimEnd(Path.DirectorySeparatorChar);
        if (Path.GetFileName(full) == GtsrbGroundTruth.TrueMasksFolder) return GtsrbGroundTruth.TrueMaskPath(Path.GetDirectoryName(full)!,
            relativeImagePath);
        return Path.ChangeExtension(Path.Combine(truth, relativeImagePath), ".png");
    }

    /// <summary>
    /// Segments each item at its original resolution with the ROI (seed derived from <paramref name="seed"/> and the
    /// item's index, so results do not depend on <paramref name="workers"/>) and gathers the figures in item order.
    /// Time spent reading files is not counted in <see cref="MaskEvaluationReport.Seconds"/>.
    /// </summary>
    public static MaskEvaluationReport Segment(IReadOnlyList<MaskEvaluationItem> items, SegmenterOptions options, int seed, int workers,
        IProgressSink progress)
    {
        if (items.Count == 0) throw new MaskbenchException("no images to evaluate");
        var images = new RgbImage[items.Count];
        var truths = new BinaryMask?[items.Count];
        int threads = Runtime.ComputeThreads.For(workers);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads };
        try
        {
            Parallel.For(0, items.Count, parallel, i =>
            {
                images[i] = ImageFile.Load(items[i].ImagePath);
                if (items[i].TruthPath is string t)
                {
                    if (!File.Exists(t)) throw new MaskbenchException($"{t}: true mask of {items[i].ImagePath} is missing");
                    truths[i] = ImageFile.LoadMask(t);
                }
            });
        }
        catch (AggregateException e) when (e.InnerExceptions[0] is MaskbenchException first)
        {
            // A user's error (a corrupt image, a missing mask) reads as one line, not as a parallel-loop failure.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
        }
        var segmenter = new GraphCutSegmenter(options);
        var masks = new BinaryMask[items.Count];
        var flowTicks = new long[items.Count];
        var gate = new object();
        var clock = Stopwatch.StartNew();
        using (var task = progress.Start("segmenting", items.Count, "images"))
        {
            Parallel.For(0, items.Count, parallel, i =>
            {
                masks[i] = segmenter.Segment(images[i], DerivedSeed.Of(seed, i), items[i].Roi, out var flow);
                flowTicks[i] = flow.Ticks;
                lock (gate) task.Advance();
            });
        }
        double seconds = clock.Elapsed.TotalSeconds;
        var roi = new RoiAgreementSummary();
        IoUSummary? iou = truths.Any(t => t is not null) ? new IoUSummary() : null;
        for (int i = 0; i < items.Count; i++)
        {
            roi.Add(masks[i], items[i].Roi);
            if (truths[i] is BinaryMask truth)
            {
                if (truth.Width != masks[i].Width || truth.Height != masks[i].Height)
                    throw new MaskbenchException($"{items[i].TruthPath}: true mask is {truth.Width}x{truth.Height}, image is "
                        + $"{masks[i].Width}x{masks[i].Height}");
                iou!.Add(items[i].ClassId, masks[i], truth);
            }
        }
        return new MaskEvaluationReport(items.Count, roi, iou, seconds, TimeSpan.FromTicks(flowTicks.Sum()).TotalSeconds, threads);
    }

    /// <summary>
    /// IoU per split of a dataset built by <c>build gtsrb</c> against true masks: each row's source (recorded in the
    /// manifest) gives the true mask, which is cropped and resized as the builder did with the image.
    /// </summary>
    public static IReadOnlyDictionary<string, IoUSummary> CompareDataset(string datasetFolder, string truth, IProgressSink progress)
    {
        using var dataset = DatasetStore.Open(datasetFolder);
        var parameters = dataset.Manifest.BuildParameters;
        string file = Path.Combine(datasetFolder, "dataset.json");
        if (parameters["sources"] is not System.Text.Json.Nodes.JsonObject sources)
            throw new DataFormatException(file, "build_parameters.sources is missing: only datasets built by `build gtsrb` record where each row "
                + "came from");
        bool roiCrop = (string?)parameters["crop"] == "roi";
        double margin = (double?)parameters["crop_margin"] ?? 0.05;
        var result = new SortedDictionary<string, IoUSummary>(StringComparer.Ordinal);
        foreach (string name in dataset.SplitNames)
        {
            if (sources[name] is not System.Text.Json.Nodes.JsonArray rows) throw new DataFormatException(file,
                $"build_parameters.sources.{name} is missing");
            var split = dataset.Split(name);   // owned by the dataset
            if (rows.Count != split.Count) throw new DataFormatException(file, $"sources.{name} has {rows.Count} rows, the split {split.Count}");
            var summary = new IoUSummary();
            using var task = progress.Start($"comparing {name}", split.Count, "masks");
            for (int i = 0; i < split.Count; i++)
            {
                var f = ((string?)rows[i] ?? "").Split(';');
                if (f.Length != 7) throw new DataFormatException(file, $"sources.{name}[{i}] is not path;width;height;x1;y1;x2;y2");
                var roi = new RoiBox(int.Parse(f[3]), int.Parse(f[4]), int.Parse(f[5]), int.Parse(f[6]));
                string truthPath = TruthPath(truth, f[0]);
                if (!File.Exists(truthPath)) throw new MaskbenchException($"{truthPath}: true mask of row {i} of {name} ({f[0]}) is missing");
                var trueMask = ImageFile.LoadMask(truthPath);
                if (roiCrop) trueMask = RoiSquare.Crop(new RgbImage(trueMask.Width, trueMask.Height), trueMask, roi, margin).Mask;
                trueMask = ImageResize.Resize(trueMask, split.ImageSize, split.ImageSize);
                summary.Add((int)split.Labels[i], split.Mask(i), trueMask);
                task.Advance();
            }
            result[name] = summary;
        }
        return result;
    }
}
