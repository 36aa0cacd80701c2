using System.Text.Json.Nodes;
using Maskbench.Progress;

namespace Maskbench.Data.Coco;

/// <summary>
/// Writes one split of MS-COCO-IC into a dataset folder. A folder that already holds other splits keeps them
/// (they are read, the new split is added, and the whole folder is rewritten atomically); their classes are the
/// ones the new split must use, so train and test always share labels.
/// </summary>
public static class CocoCropDataset
{
    public const string DefaultName = "MS-COCO-IC";

    public const string BuilderName = "coco";

    /// <summary>
    /// Builds <see cref="CocoCropOptions.Split"/> into <paramref name="folder"/>, keeping the other splits of a COCO
    /// dataset there. Any other non-empty folder is refused before any work unless <paramref name="force"/>, and even
    /// then only the dataset's own files are written (<see cref="DatasetStore.CheckTarget"/>).
    /// </summary>
    public static DatasetManifest Build(string folder, CocoCropOptions options, IProgressSink progress, bool force = false)
    {
        if (options.Split is not ("train" or "test")) throw new MaskbenchException($"--split {options.Split}: expected train or test");
        DatasetStore.CheckTarget(folder, BuilderName, force);
        bool sameBuilder = DatasetStore.TryReadManifest(folder) is { } found && DatasetStore.BuilderOf(found) == BuilderName;
        // A dataset of another builder (allowed with force) is replaced, not merged with.
        Dataset? existing = sameBuilder ? DatasetStore.Open(folder) : null;
        try
        {
            var others = existing?.SplitNames.Where(s => s != options.Split).ToList() ?? [];
            IReadOnlyList<string>? fixedClasses = others.Count > 0 ? existing!.Manifest.ClassNames : null;
            if (existing is not null && others.Count > 0 && existing.Manifest.ImageSize != options.Size)
                throw new MaskbenchException($"{folder} holds {existing.Manifest.ImageSize}x{existing.Manifest.ImageSize} samples; --size "
                    + $"{options.Size} would not match");
            var result = CocoCropBuilder.Build(options, fixedClasses, progress);
            // Source paths relative to the dataset folder ('/' separated): the same build elsewhere gives the same manifest.
            result.Record["annotations"] = new JsonArray(options.AnnotationFiles.Select(f => (JsonNode)RelativeToDataset(folder, f)).ToArray());
            result.Record["images"] = RelativeToDataset(folder, options.ImageFolder);
            var splits = new Dictionary<string, SplitArrays> { [options.Split] = result.Arrays };
            foreach (string name in others) splits[name] = existing!.Split(name).Load();

            var parameters = existing is not null && others.Count > 0 ? (JsonObject)existing.Manifest.BuildParameters.DeepClone() : [];
            parameters["builder"] = BuilderName;
            parameters["chosen_classes"] = new JsonArray(result.Classes.Select(c => (JsonNode)c).ToArray());
            if (parameters["splits"] is not JsonObject splitRecords) parameters["splits"] = splitRecords = [];
            splitRecords[options.Split] = result.Record;
            var manifest = new DatasetManifest
            {
                Name = existing?.Manifest.Name is { Length: > 0 } n ? n : DefaultName,
                ClassNames = result.Classes.ToList(),
                ImageSize = options.Size,
                Source = "MS-COCO instance annotations: one square crop per object, other objects' pixels blacked out, the object's mask as "
                    + "foreground",
                HorizontalFlipPreservesLabels = true,
                BuildParameters = parameters,
            };
            existing?.Dispose();
            existing = null;
            DatasetStore.Write(folder, manifest, splits, force);
            return manifest;
        }
        finally
        {
            existing?.Dispose();
        }
    }

    /// <summary><paramref name="path"/> relative to the dataset folder, with '/' separators.</summary>
    public static string RelativeToDataset(string datasetFolder, string path) =>
        Path.GetRelativePath(Path.GetFullPath(datasetFolder), Path.GetFullPath(path)).Replace(Path.DirectorySeparatorChar, '/');
}

/// <summary>One row of the paper's Table 1: a class and its number of images per split.</summary>
public sealed record CocoTable1Row(string ClassName, int Train, int Test);

public static class CocoTable1
{
    /// <summary>Per-class sample counts of the train and test splits (0 for a split not built yet), plus a total row.</summary>
    public static IReadOnlyList<CocoTable1Row> Rows(DatasetManifest manifest)
    {
        int Count(string split, int c) => manifest.Splits.TryGetValue(split, out var s) ? s.CountsPerClass.ElementAtOrDefault(c) : 0;
        var rows = manifest.ClassNames.Select((name, c) => new CocoTable1Row(name, Count("train", c), Count("test", c))).ToList();
        rows.Add(new CocoTable1Row("total", rows.Sum(r => r.Train), rows.Sum(r => r.Test)));
        return rows;
    }
}
