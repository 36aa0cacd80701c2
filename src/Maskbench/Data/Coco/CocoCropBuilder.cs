using System.Text.Json.Nodes;
using Maskbench.Data.Images;
using Maskbench.Progress;

namespace Maskbench.Data.Coco;

/// <summary>
/// Builds MS-COCO-IC samples as the paper describes: one sample per non-crowd object of a kept class, a square
/// crop around the object's mask box, every pixel of every other annotated object (any class, crowd regions
/// included) blacked out unless it also belongs to the object, the object's own pixels as the mask, both resized
/// to S×S (area averaging for the image, coverage ≥ 0.5 for the mask).
/// </summary>
public static class CocoCropBuilder
{
    public static class SkipReason
    {
        public const string Crowd = "crowd";
        public const string ExcludedClass = "excluded class";
        public const string EmptyMask = "empty mask";
        public const string TooSmall = "too small";
        public const string ClassNotChosen = "class not chosen";
    }

    sealed record Candidate(int File, CocoAnnotation Annotation, string Category);

    /// <summary>
    /// Reads the annotations, chooses classes (or takes <paramref name="fixedClasses"/>, the classes the dataset
    /// already has) and cuts the samples. The result's record goes into the manifest.
    /// </summary>
    public static CocoCropResult Build(CocoCropOptions options, IReadOnlyList<string>? fixedClasses, IProgressSink progress)
    {
        if (options.Size <= 0) throw new MaskbenchException($"--size {options.Size} must be positive");
        if (!Directory.Exists(options.ImageFolder)) throw new MaskbenchException($"image folder {options.ImageFolder} does not exist");
        var files = options.AnnotationFiles.Select(f => CocoAnnotationReader.Read(f, progress)).ToList();
        var categoryOrder = new Dictionary<string, int>();
        foreach (var c in files.SelectMany(f => f.Categories)) categoryOrder.TryAdd(c.Name, c.Id);
        var exclude = options.Exclude ?? CocoCropOptions.PaperExclusions
            .Where(name => categoryOrder.ContainsKey(name) && !(options.Classes?.Names?.Contains(name) ?? false)).ToList();
        options = new CocoCropOptions
        {
            AnnotationFiles = options.AnnotationFiles, ImageFolder = options.ImageFolder, Split = options.Split, Size = options.Size,
            Classes = options.Classes, Exclude = exclude, MinSize = options.MinSize, SkippedExamplesPerReason = options.SkippedExamplesPerReason,
        };
        foreach (string name in exclude)
            if (!categoryOrder.ContainsKey(name)) throw new MaskbenchException(
                $"--exclude {name}: no such category in {string.Join(", ", options.AnnotationFiles)}");

        var skipped = new SkipLog(options.SkippedExamplesPerReason);
        var candidates = new List<Candidate>();
        using (var task = progress.Start("measuring objects", files.Sum(f => f.Annotations.Count), "annotations"))
            for (int fi = 0; fi < files.Count; fi++)
            {
                var coco = files[fi];
                // Decoding every mask for its box is the slow part: in parallel, results by index, decisions in order.
                var boxes = new MaskBox[coco.Annotations.Count];
                ForEachIndex(boxes.Length, i =>
                {
                    var a = coco.Annotations[i];
                    if (!a.IsCrowd) boxes[i] = DecodeMask(coco, a).ToBox();
                });
                for (int i = 0; i < boxes.Length; i++)
                {
                    var a = coco.Annotations[i];
                    task.Advance();
                    string category = coco.Category(a.CategoryId).Name;
                    if (a.IsCrowd) { skipped.Add(coco.FilePath, a.Id, SkipReason.Crowd); continue; }
                    if (exclude.Contains(category)) { skipped.Add(coco.FilePath, a.Id, SkipReason.ExcludedClass); continue; }
                    var box = boxes[i];
                    if (box.IsEmpty) { skipped.Add(coco.FilePath, a.Id, SkipReason.EmptyMask); continue; }
                    if (Math.Max(box.Width, box.Height) < options.MinSize) { skipped.Add(coco.FilePath, a.Id, SkipReason.TooSmall); continue; }
                    candidates.Add(new Candidate(fi, a, category));
                }
            }

        var perCategory = candidates.GroupBy(c => c.Category).ToDictionary(g => g.Key, g => g.Count());
        var classes = ChooseClasses(options, fixedClasses, perCategory, categoryOrder);
        var labelOf = classes.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => p.i);
        var kept = new List<Candidate>();
        foreach (var c in candidates)
        {
            if (labelOf.ContainsKey(c.Category)) kept.Add(c);
            else skipped.Add(files[c.File].FilePath, c.Annotation.Id, SkipReason.ClassNotChosen);
        }

        var arrays = CutSamples(files, kept, labelOf, options, progress);
        var record = Record(options, classes, perCategory, arrays, skipped);
        return new CocoCropResult(arrays, classes, record);
    }

    static List<string> ChooseClasses(CocoCropOptions options, IReadOnlyList<string>? fixedClasses, Dictionary<string, int> perCategory,
        Dictionary<string, int> categoryOrder)
    {
        if (options.Classes is { Top: null } named)
        {
            foreach (string name in named.Names)
                if (!categoryOrder.ContainsKey(name)) throw new MaskbenchException(
                    $"--classes: no category named '{name}' (known: {string.Join(", ", categoryOrder.Keys)})");
            if (fixedClasses is not null && !fixedClasses.SequenceEqual(named.Names))
                throw new MaskbenchException($"--classes {named} differs from the dataset's classes ({string.Join(",", fixedClasses)}); build into a "
                    + "new folder");
            return named.Names.ToList();
        }
        if (fixedClasses is not null && !options.Split.Equals("train", StringComparison.Ordinal)) return fixedClasses.ToList();
        if (!options.Split.Equals("train", StringComparison.Ordinal))
            throw new MaskbenchException($"the {options.Split} split reuses the classes chosen on the training split: build --split train into this "
                + "folder first, or pass --classes name,name,...");
        int n = options.Classes?.Top ?? 10;
        var chosen = CocoClassSelection.MostFrequent(perCategory, categoryOrder, n);
        if (chosen.Count == 0) throw new MaskbenchException("no object is left to sample after the exclusions and --min-size");
        if (fixedClasses is not null && !fixedClasses.SequenceEqual(chosen))
            throw new MaskbenchException($"the training split's top {n} ({string.Join(",", chosen)}) differ from the classes already in the dataset "
                + $"({string.Join(",", fixedClasses)}); build into a new folder");
        return chosen;
    }

    static Rle DecodeMask(CocoAnnotations coco, CocoAnnotation a)
    {
        Rle rle;
        try { rle = coco.Mask(a); }
        catch (Exception e) when (e is RleFormatException or FormatException or ArgumentException)
        {
            throw new DataFormatException(coco.FilePath, e.Message, $"annotation id {a.Id}");
        }
        string? problem = rle.Validate();
        if (problem is not null) throw new DataFormatException(coco.FilePath, problem, $"annotation id {a.Id}");
        return rle;
    }

    /// <summary>Samples in file order, then image order, then annotation order; images are decoded in parallel.</summary>
    static SplitArrays CutSamples(List<CocoAnnotations> files, List<Candidate> kept, Dictionary<string, int> labelOf, CocoCropOptions options,
        IProgressSink progress)
    {
        var jobs = kept.GroupBy(c => (c.File, c.Annotation.ImageId))
            .Select(g => (g.Key.File, Image: files[g.Key.File].Image(g.Key.ImageId), Samples: g.ToList()))
            .OrderBy(j => j.File).ThenBy(j => ImageIndex(files[j.File], j.Image)).ToList();
        var starts = new int[jobs.Count];
        for (int i = 1; i < jobs.Count; i++) starts[i] = starts[i - 1] + jobs[i - 1].Samples.Count;
        var arrays = new SplitArrays(kept.Count, options.Size);
        using var task = progress.Start($"cutting {options.Split} crops", jobs.Count, "images");
        ForEachIndex(jobs.Count, j =>
        {
            var (file, image, samples) = jobs[j];
            var coco = files[file];
            var crops = CropImage(coco, image, samples.Select(s => s.Annotation).ToList(), options);
            for (int k = 0; k < crops.Count; k++)
                arrays.Set(starts[j] + k, crops[k].Image, crops[k].Mask, labelOf[samples[k].Category]);
            task.Advance();
        });
        return arrays;
    }

    /// <summary>Parallel.For that lets a user-facing error (bad record, unreadable image) out as itself, not wrapped.</summary>
    static void ForEachIndex(int count, Action<int> body)
    {
        try
        {
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Runtime.ComputeThreads.For(0) }, body);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            var first = e.InnerExceptions.OfType<MaskbenchException>().FirstOrDefault() ?? e.InnerExceptions[0];
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
        }
    }

    static readonly System.Runtime.CompilerServices.ConditionalWeakTable<CocoAnnotations, Dictionary<long, int>> ImageOrder = new();

    static int ImageIndex(CocoAnnotations coco, CocoImage image) =>
        ImageOrder.GetValue(coco, c => c.Images.Select((im, i) => (im.Id, i)).ToDictionary(p => p.Id, p => p.i))[image.Id];

    /// <summary>The crops of one image's sample objects (see the class summary).</summary>
    public static List<(RgbImage Image, BinaryMask Mask)> CropImage(CocoAnnotations coco, CocoImage image, IReadOnlyList<CocoAnnotation> samples,
        CocoCropOptions options)
    {
        string path = CocoFileNames.Resolve(options.ImageFolder, image, coco.FilePath);
        RgbImage full = ImageFile.Load(path);
        if (full.Width != image.Width || full.Height != image.Height)
            throw new DataFormatException(coco.FilePath,
                $"{path} is {full.Width}x{full.Height} but the annotations say {image.Width}x{image.Height}", $"image id {image.Id}");
        // How many annotations (any class, crowd included) cover each pixel; another object covers a pixel when
        // this count exceeds the sample's own coverage there.
        var coverage = new byte[image.Width * image.Height];
        var own = new Dictionary<long, (BinaryMask Mask, MaskBox Box)>();
        foreach (int index in coco.AnnotationsOf(image.Id))
        {
            var a = coco.Annotations[index];
            var rle = DecodeMask(coco, a);
            var mask = rle.ToMask();
            byte[] v = mask.Values;
            for (int p = 0; p < v.Length; p++) if (v[p] != 0 && coverage[p] < 255) coverage[p]++;
            if (samples.Any(s => s.Id == a.Id)) own[a.Id] = (mask, rle.ToBox());
        }
        var result = new List<(RgbImage, BinaryMask)>(samples.Count);
        foreach (var a in samples)
        {
            var (mask, box) = own[a.Id];
            var square = CocoCropGeometry.Around(box, image.Width, image.Height);
            var crop = ImageCrop.Crop(full, square.X, square.Y, square.Side, square.Side);
            var cropMask = ImageCrop.Crop(mask, square.X, square.Y, square.Side, square.Side);
            BlackOutOthers(crop, cropMask, coverage, image.Width, image.Height, square);
            result.Add((ImageResize.Resize(crop, options.Size, options.Size), ImageResize.Resize(cropMask, options.Size, options.Size)));
        }
        return result;
    }

    static void BlackOutOthers(RgbImage crop, BinaryMask cropMask, byte[] coverage, int width, int height, CocoCropGeometry.Square square)
    {
        for (int cy = 0; cy < square.Side; cy++)
        {
            int y = square.Y + cy;
            if (y < 0 || y >= height) continue;
            for (int cx = 0; cx < square.Side; cx++)
            {
                int x = square.X + cx;
                if (x < 0 || x >= width) continue;
                byte mine = cropMask.Values[cy * square.Side + cx];
                if (mine == 0 && coverage[y * width + x] > 0)
                {
                    int o = (cy * square.Side + cx) * 3;
                    crop.Pixels[o] = crop.Pixels[o + 1] = crop.Pixels[o + 2] = 0;
                }
            }
        }
    }

    static JsonObject Record(CocoCropOptions options, List<string> classes, Dictionary<string, int> perCategory, SplitArrays arrays, SkipLog skipped)
    {
        var perClass = new JsonObject();
        for (int c = 0; c < classes.Count; c++) perClass[classes[c]] = arrays.Labels.Count(l => l == c);
        var candidates = new JsonObject();
        foreach (var (name, n) in perCategory.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal)) candidates[name] = n;
        return new JsonObject
        {
            // Rewritten relative to the dataset folder by CocoCropDataset, so that the manifest does not depend on where it is built.
            ["annotations"] = new JsonArray(options.AnnotationFiles.Select(f => (JsonNode)Path.GetFullPath(f)).ToArray()),
            ["images"] = Path.GetFullPath(options.ImageFolder),
            ["classes"] = options.Classes?.ToString() ?? "top10",
            ["exclude"] = new JsonArray((options.Exclude ?? []).Select(e => (JsonNode)e).ToArray()),
            ["min_size"] = options.MinSize,
            ["size"] = options.Size,
            ["samples"] = arrays.Count,
            ["samples_per_class"] = perClass,
            ["candidates_per_category"] = candidates,
            ["skipped"] = skipped.Counts(),
            ["skipped_examples"] = skipped.Examples(),
        };
    }

    /// <summary>Counts every skipped annotation per reason and keeps the first few ids of each as examples.</summary>
    sealed class SkipLog(int examplesPerReason)
    {
        readonly Dictionary<string, int> counts = [];
        readonly List<(string File, long Id, string Reason)> examples = [];

        public void Add(string file, long id, string reason)
        {
            int n = counts.GetValueOrDefault(reason);
            counts[reason] = n + 1;
            if (n < examplesPerReason) examples.Add((file, id, reason));
        }

        public JsonObject Counts()
        {
            var o = new JsonObject();
            foreach (var (reason, n) in counts.OrderBy(p => p.Key, StringComparer.Ordinal)) o[reason] = n;
            return o;
        }

        public JsonArray Examples() => new(examples.Select(e => (JsonNode)new JsonObject
        {
            ["file"] = Path.GetFileName(e.File), ["annotation_id"] = e.Id, ["reason"] = e.Reason,
        }).ToArray());
    }
}

/// <summary>One split's samples, the classes they are labelled with, and what to record in the manifest.</summary>
public sealed record CocoCropResult(SplitArrays Arrays, IReadOnlyList<string> Classes, JsonObject Record);
