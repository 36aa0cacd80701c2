using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Maskbench.Data.Images;
using Maskbench.Masks;
using Maskbench.Progress;
using Maskbench.Files;

namespace Maskbench.Data.Gtsrb;

/// <summary>What a build produced and what it left out.</summary>
public sealed record GtsrbBuildResult(int TrainCount, int TestCount, IReadOnlyList<SkippedRecord> Skipped, int RoiRescaled);

/// <summary>
/// Builds a dataset store from a GTSRB root (real or synthetic): reads the records, holds out a test split when
/// asked, segments every image at its original resolution with <see cref="GraphCutSegmenter"/> (the CSV's ROI
/// given as a prior), crops image and mask to the ROI square or keeps the whole image, resizes both to S x S and
/// writes <c>train</c> (and <c>test</c>) with a manifest. Each image's segmenter seed comes from the base seed,
/// the split and the record's index, and results are placed by index, so the bytes do not depend on the worker count.
/// </summary>
public static class GtsrbDatasetBuilder
{
    public const string TrainSplit = "train";
    public const string TestSplit = "test";

    public const string BuilderName = "maskbench build gtsrb";

    /// <summary>
    /// Builds the dataset into <paramref name="output"/>. The folder must be new, empty or a dataset of this builder
    /// (replaced as a whole) unless <paramref name="force"/>: checked before any work (<see cref="DatasetStore.CheckTarget"/>).
    /// </summary>
    public static GtsrbBuildResult Build(string source, string output, GtsrbBuildOptions options, IProgressSink progress, bool force = false)
    {
        options.Validate();
        string? replacing = DatasetStore.CheckTarget(output, BuilderName, force);
        if (replacing is not null) progress.Info($"{output} holds a dataset ({replacing}); it will be replaced as a whole when the build completes");
        var reader = GtsrbReader.Open(source, options.OnError, options.TestCsv);
        var layout = reader.Layout;
        var namedByRoot = GtsrbGroundTruth.ClassNames(layout.Root);
        IReadOnlyList<string> classNames = namedByRoot ?? GtsrbClassNames.All;

        // A root may hold only one of the two splits (the test download alone, for example).
        var train = layout.TrainingImages is null ? [] : Limit(reader.ReadTraining(), options.LimitPerClass);
        List<GtsrbRecord> test;
        string testSource;
        if (options.TestFraction is double fraction)
        {
            if (layout.TrainingImages is null) throw new MaskbenchException(
                $"{source}: --test-fraction holds out part of Final_Training, which this root does not have");
            (train, test) = TrackHoldout.Split(train, fraction, options.Seed);
            testSource = $"held out from Final_Training: {fraction.ToString(CultureInfo.InvariantCulture)} of each class by whole tracks";
        }
        else if (layout.TestImages is not null)
        {
            test = Limit(reader.ReadTest(), options.LimitPerClass);
            testSource = Path.GetRelativePath(layout.Root, layout.TestCsv!);
        }
        else
        {
            test = [];
            testSource = "none (the root has no Final_Test)";
        }
        progress.Info($"read {train.Count} training and {test.Count} test records from {layout.Root}"
            + (reader.Skipped.Count > 0 ? $" ({reader.Skipped.Count} skipped)" : ""));
        foreach (string warning in reader.Warnings) progress.Info("warning: " + warning);
        var skipped = new List<SkippedRecord>(reader.Skipped);
        train = DropUnknownClasses(train, classNames.Count, options.OnError, skipped);
        test = DropUnknownClasses(test, classNames.Count, options.OnError, skipped);
        if (train.Count + test.Count == 0) throw new MaskbenchException($"{source}: no usable records"
            + (skipped.Count > 0 ? $" ({skipped.Count} skipped, first: {skipped[0]})" : ""));

        int trainRead = train.Count, testRead = test.Count;
        var splits = new SortedDictionary<string, SplitArrays>(StringComparer.Ordinal);
        if (train.Count > 0) splits[TrainSplit] = Process(train, 0, options, progress, skipped, "train");
        if (test.Count > 0) splits[TestSplit] = Process(test, 1, options, progress, skipped, "test");

        var manifest = new DatasetManifest
        {
            Name = Path.GetFileName(Path.GetFullPath(output).TrimEnd(Path.DirectorySeparatorChar)),
            ClassNames = [.. classNames],
            ImageSize = options.ImageSize,
            Source = (namedByRoot is null ? "GTSRB (official layout)" : "synthetic GTSRB (maskbench synth gtsrb)")
                // The root's folder name only, not its full path, so that the manifest (and with it every hash and cache
                // key derived from it) does not depend on where the data lies; rows' paths relative to the root are in
                // build_parameters.sources.
                + $" from a folder named {Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(layout.Root)))}; test split: "
                + $"{testSource}; masks by graph cut",
            HorizontalFlipPreservesLabels = false,
            BuildParameters = Parameters(options, trainRead, testRead, testSource, skipped, reader.RescaledCount, layout.Root),
        };
        var sources = new JsonObject();
        if (splits.ContainsKey(TrainSplit)) sources[TrainSplit] = Sources(train, layout.Root);
        if (splits.ContainsKey(TestSplit)) sources[TestSplit] = Sources(test, layout.Root);
        manifest.BuildParameters["sources"] = sources;
        DatasetStore.Write(output, manifest, splits, force);
        if (skipped.Count > 0) progress.Info($"skipped {skipped.Count} records (reasons in dataset.json build_parameters.skipped); first: "
            + $"{skipped[0]}");
        if (reader.RescaledCount > 0) progress.Info($"scaled the ROI of {reader.RescaledCount} records whose file size disagreed with the CSV");
        return new GtsrbBuildResult(splits.TryGetValue(TrainSplit, out var tr) ? tr.Count : 0,
            splits.TryGetValue(TestSplit, out var t) ? t.Count : 0, skipped, reader.RescaledCount);
    }

    static List<GtsrbRecord> Limit(IEnumerable<GtsrbRecord> records, int? perClass)
    {
        if (perClass is not int limit) return records.ToList();
        var counts = new Dictionary<int, int>();
        var kept = new List<GtsrbRecord>();
        foreach (var r in records)
        {
            int c = r.ClassId;
            counts[c] = counts.GetValueOrDefault(c) + 1;
            if (counts[c] <= limit) kept.Add(r);
        }
        return kept;
    }

    static List<GtsrbRecord> DropUnknownClasses(List<GtsrbRecord> records, int classCount, ErrorPolicy policy, List<SkippedRecord> skipped)
    {
        var kept = new List<GtsrbRecord>(records.Count);
        foreach (var r in records)
        {
            if (r.ClassId < classCount) { kept.Add(r); continue; }
            string problem = $"ClassId {r.ClassId} is not one of the {classCount} classes";
            if (policy != ErrorPolicy.Skip) throw new DataFormatException(r.CsvPath, problem, $"line {r.Line}");
            skipped.Add(new SkippedRecord(r.CsvPath, $"line {r.Line}", problem));
        }
        return kept;
    }

    /// <summary>
    /// Segments, crops and resizes the records in parallel, each into its own row; failed rows are left out under
    /// Skip. <paramref name="records"/> is narrowed to the rows kept, so it lines up with the arrays.
    /// </summary>
    static SplitArrays Process(List<GtsrbRecord> records, int splitId, GtsrbBuildOptions options, IProgressSink progress,
        List<SkippedRecord> skipped, string name)
    {
        var arrays = new SplitArrays(records.Count, options.ImageSize);
        var failures = new Exception?[records.Count];
        var segmenter = new GraphCutSegmenter(options.Segmenter);
        var gate = new object();
        using (var task = progress.Start($"segmenting {name} images", records.Count, "images"))
        {
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = Runtime.ComputeThreads.For(options.Workers) };
            Parallel.For(0, records.Count, parallel, (i, state) =>
            {
                var record = records[i];
                try
                {
                    var image = ImageFile.Load(record.ImagePath);
                    if (image.Width != record.Width || image.Height != record.Height)
                        throw new DataFormatException(record.ImagePath,
                            $"decoded as {image.Width}x{image.Height}, its header said {record.Width}x{record.Height}");
                    var mask = segmenter.Segment(image, DerivedSeed.Of(options.Seed, splitId, i), record.Roi);
                    (image, mask) = options.Crop == GtsrbCrop.Roi ? RoiSquare.Crop(image, mask, record.Roi, options.CropMargin) : (image, mask);
                    arrays.Set(i, ImageResize.Resize(image, options.ImageSize, options.ImageSize),
                        ImageResize.Resize(mask, options.ImageSize, options.ImageSize), record.ClassId);
                }
                catch (Exception e) when (e is MaskbenchException or IOException)
                {
                    failures[i] = e;
                    if (options.OnError != ErrorPolicy.Skip) state.Stop();
                }
                lock (gate) task.Advance();
            });
        }
        int first = Array.FindIndex(failures, f => f is not null);
        if (first < 0) return arrays;
        if (options.OnError != ErrorPolicy.Skip)
        {
            var r = records[first];
            throw new MaskbenchException($"{failures[first]!.Message} (the image of {r.CsvPath}, line {r.Line})", failures[first]!);
        }
        var kept = new List<int>();
        for (int i = 0; i < records.Count; i++)
        {
            if (failures[i] is null) kept.Add(i);
            else skipped.Add(new SkippedRecord(records[i].CsvPath, $"line {records[i].Line}", failures[i]!.Message));
        }
        var keptRecords = kept.Select(i => records[i]).ToList();
        records.Clear();
        records.AddRange(keptRecords);
        return arrays.Select(kept);
    }

    /// <summary>
    /// Where each row came from, one string per row in GTSRB's own CSV style: the image path relative to the root,
    /// then the file's Width;Height and the ROI used (after any rescaling). Lets a reader of the dataset go back
    /// to the original image, for example to compare with the synthetic true masks.
    /// </summary>
    static JsonArray Sources(List<GtsrbRecord> records, string root)
    {
        var array = new JsonArray();
        foreach (var r in records)
            array.Add(string.Create(CultureInfo.InvariantCulture,
                $"{Path.GetRelativePath(root, r.ImagePath).Replace('\\', '/')};{r.Width};{r.Height};{r.Roi.X1};{r.Roi.Y1};{r.Roi.X2};{r.Roi.Y2}"));
        return array;
    }

    static JsonObject Parameters(GtsrbBuildOptions o, int trainRecords, int testRecords, string testSource, List<SkippedRecord> skipped,
        int rescaled, string root)
    {
        var skippedArray = new JsonArray();
        foreach (var s in skipped)
            skippedArray.Add(new JsonObject { ["file"] = Path.GetRelativePath(root, s.File), ["location"] = s.Location, ["reason"] = s.Reason });
        return new JsonObject
        {
            ["builder"] = BuilderName,
            ["size"] = o.ImageSize,
            ["crop"] = o.Crop.ToString().ToLowerInvariant(),
            ["crop_margin"] = o.CropMargin,
            ["seed"] = o.Seed,
            ["on_error"] = o.OnError switch { ErrorPolicy.Skip => "skip", ErrorPolicy.RescaleRoi => "rescale-roi", _ => "stop" },
            ["test_fraction"] = o.TestFraction,
            ["limit_per_class"] = o.LimitPerClass,
            ["test_split"] = testSource,
            ["train_records"] = trainRecords,
            ["test_records"] = testRecords,
            ["roi_rescaled"] = rescaled,
            ["skipped_count"] = skipped.Count,
            ["skipped"] = skippedArray,
            ["segmenter"] = JsonSerializer.SerializeToNode(o.Segmenter, o.Segmenter.GetType(), JsonFormat.SnakeCase),
        };
    }
}
