using System.Text.Json;
using Maskbench.Data.Store;
using Maskbench.Files;

namespace Maskbench.Data;

/// <summary>
/// A dataset is a folder: `dataset.json` and one subfolder per split (`train/`, `test/`) holding `images.npy`
/// (uint8 N×S×S×3 RGB), `masks.npy` (uint8 0/1 N×S×S) and `labels.npy` (int64 N). NumPy loads every array as it is,
/// also with mmap_mode='r'. Writes go to a temporary sibling folder that is renamed into place when complete.
/// <para>Nothing is lost: a dataset is written only into a missing or empty folder, or over a dataset of the same
/// builder (<see cref="CheckTarget"/>), unless forced. A folder holding only the old dataset's files is replaced as a
/// whole by one rename; a folder that also holds other files (notes, the user's own data) keeps them: only the
/// dataset's own files are replaced, each by a rename, the manifest last, so that an interrupted write leaves a
/// manifest whose hashes disagree with the arrays, which every reader refuses.</para>
/// </summary>
public static class DatasetStore
{
    public const string ManifestFile = "dataset.json";
    public const string ImagesFile = "images.npy";
    public const string MasksFile = "masks.npy";
    public const string LabelsFile = "labels.npy";

    /// <summary>The builder named in a manifest's build parameters ("maskbench build gtsrb", "coco"), if any.</summary>
    public static string? BuilderOf(DatasetManifest manifest) =>
        manifest.BuildParameters.TryGetPropertyValue("builder", out var b) && b is System.Text.Json.Nodes.JsonValue v && v.TryGetValue(out string? s)
            ? s : null;

    /// <summary>
    /// Checks, before any work, that a dataset of <paramref name="builder"/> may be written to <paramref name="folder"/>:
    /// it is missing or empty, or holds a dataset of the same builder (which the write replaces), or
    /// <paramref name="force"/> is set (then other files in the folder are kept, and only the dataset's files are
    /// written). Also checks that the location can be written. Returns a description of the dataset that will be
    /// replaced, or null.
    /// </summary>
    public static string? CheckTarget(string folder, string? builder, bool force)
    {
        OutputLocation.EnsureReplaceableFolder(folder);
        string full = Path.GetFullPath(folder);
        if (!Directory.Exists(full) || !Directory.EnumerateFileSystemEntries(full).Any()) return null;
        var existing = TryReadManifest(full);
        if (existing is not null && BuilderOf(existing) == builder)
            return $"{existing.Splits.Values.Sum(s => s.Count)} images in {string.Join(", ", existing.Splits.Keys.Order(StringComparer.Ordinal))}";
        if (force) return existing is null ? null : $"a dataset of another builder ({BuilderOf(existing) ?? "unknown"})";
        string holds = existing is not null
            ? $"holds a dataset of another builder ({BuilderOf(existing) ?? "unknown"}, {existing.Splits.Values.Sum(s => s.Count)} images)"
            : $"is not empty and holds no dataset ("
                + string.Join(", ", Directory.EnumerateFileSystemEntries(full).Select(Path.GetFileName).Order(StringComparer.Ordinal).Take(3))
                + $"{(Directory.EnumerateFileSystemEntries(full).Skip(3).Any() ? ", ..." : "")})";
        throw new MaskbenchException($"--out {folder} {holds}; choose a new or empty folder, or pass --force to write the dataset's files there "
            + "(other files are kept)");
    }

    /// <summary>The manifest of a dataset folder, or null when there is none or it is not a readable manifest.</summary>
    public static DatasetManifest? TryReadManifest(string folder)
    {
        string path = Path.Combine(folder, ManifestFile);
        if (!File.Exists(path)) return null;
        try
        {
            var m = JsonSerializer.Deserialize<DatasetManifest>(File.ReadAllText(path), JsonFormat.SnakeCase);
            return m is not null && m.Format == DatasetManifest.CurrentFormat ? m : null;
        }
        catch (JsonException) { return null; }
    }

    public static void Write(string folder, DatasetManifest manifest, IReadOnlyDictionary<string, SplitArrays> splits, bool force = false)
    {
        if (splits.Count == 0) throw new ArgumentException("a dataset needs at least one split");
        CheckTarget(folder, BuilderOf(manifest), force);
        folder = Path.GetFullPath(folder);
        foreach (var (name, arrays) in splits)
        {
            if (name.Length == 0 || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || name.Contains('.'))
                throw new ArgumentException($"split name '{name}' is not a plain folder name");
            if (arrays.ImageSize != manifest.ImageSize)
                throw new ArgumentException($"split {name} has image size {arrays.ImageSize}, the manifest says {manifest.ImageSize}");
            foreach (long label in arrays.Labels)
                if (label < 0 || label >= manifest.ClassNames.Count)
                    throw new ArgumentException($"split {name} has label {label}, outside the {manifest.ClassNames.Count} classes");
        }

        string parent = Path.GetDirectoryName(folder) ?? ".";
        Directory.CreateDirectory(parent);
        string temp = Path.Combine(parent, $".{Path.GetFileName(folder)}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            manifest.Splits = [];
            foreach (var (name, arrays) in splits.OrderBy(s => s.Key, StringComparer.Ordinal))
            {
                string dir = Path.Combine(temp, name);
                Directory.CreateDirectory(dir);
                int s = arrays.ImageSize;
                long n = arrays.Count;
                NpyFile.Write<byte>(Path.Combine(dir, ImagesFile), arrays.Images, "|u1", [n, s, s, 3]);
                NpyFile.Write<byte>(Path.Combine(dir, MasksFile), arrays.Masks, "|u1", [n, s, s]);
                NpyFile.Write<long>(Path.Combine(dir, LabelsFile), arrays.Labels, "<i8", [n]);
                manifest.Splits[name] = Summarize(arrays, manifest.ClassNames.Count, dir, name);
            }
            File.WriteAllText(Path.Combine(temp, ManifestFile), JsonSerializer.Serialize(manifest, JsonFormat.SnakeCase) + "\n");
            Install(temp, folder, manifest);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// Puts the complete dataset in <paramref name="temp"/> at <paramref name="folder"/>: by one folder rename when the
    /// folder is missing, empty or holds nothing but the old dataset's files; else file by file, keeping other files.
    /// </summary>
    static void Install(string temp, string folder, DatasetManifest manifest)
    {
        if (!Directory.Exists(folder))
        {
            Directory.Move(temp, folder);
            return;
        }
        var old = TryReadManifest(folder);
        var oldFiles = old is null ? [] : DatasetFilesOf(old);
        if (OnlyThese(folder, oldFiles))
        {
            string aside = Path.Combine(Path.GetDirectoryName(folder) ?? ".", $".{Path.GetFileName(folder)}.old-{Guid.NewGuid():N}");
            Directory.Move(folder, aside);
            Directory.Move(temp, folder);
            TryDelete(aside);   // holds only files this tool wrote (checked above)
            return;
        }
        var newFiles = DatasetFilesOf(manifest);
        foreach (string file in newFiles.Where(f => f != ManifestFile))
        {
            string target = Path.Combine(folder, file);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Move(Path.Combine(temp, file), target, overwrite: true);
        }
        foreach (string file in oldFiles.Except(newFiles))
        {
            string stale = Path.Combine(folder, file);
            if (File.Exists(stale)) File.Delete(stale);
            string? dir = Path.GetDirectoryName(stale);
            if (dir is not null && dir != folder && Directory.Exists(dir) && !Directory.EnumerateFileSystemEntries(dir).Any()) Directory.Delete(dir);
        }
        File.Move(Path.Combine(temp, ManifestFile), Path.Combine(folder, ManifestFile), overwrite: true);
        TryDelete(temp);
    }

    /// <summary>The files a manifest describes, relative to the dataset folder (with '/' as separator), the manifest included.</summary>
    static HashSet<string> DatasetFilesOf(DatasetManifest manifest)
    {
        var files = new HashSet<string>(StringComparer.Ordinal) { ManifestFile };
        foreach (var (name, split) in manifest.Splits)
        {
            // Only the three names this store writes, inside the split's own folder: a manifest cannot point elsewhere.
            if (name.Length == 0 || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || name.Contains('.')) continue;
            foreach (string f in new[] { ImagesFile, MasksFile, LabelsFile }) files.Add($"{name}/{f}");
        }
        return files;
    }

    /// <summary>Whether every file under <paramref name="folder"/> is one of <paramref name="files"/> (and no other folder is there).</summary>
    static bool OnlyThese(string folder, HashSet<string> files)
    {
        foreach (string entry in Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(folder, entry).Replace(Path.DirectorySeparatorChar, '/');
            if (Directory.Exists(entry))
            {
                if (!files.Any(f => f.StartsWith(relative + "/", StringComparison.Ordinal))) return false;
            }
            else if (!files.Contains(relative)) return false;
        }
        return true;
    }

    static void TryDelete(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    static SplitSummary Summarize(SplitArrays a, int classes, string dir, string split)
    {
        var counts = new int[classes];
        var fgPerClass = new double[classes];
        double fgTotal = 0;
        int pixels = a.PixelsPerImage;
        for (int i = 0; i < a.Count; i++)
        {
            int fg = 0;
            var m = a.Masks.AsSpan(i * pixels, pixels);
            foreach (byte v in m) fg += v;
            double frac = pixels == 0 ? 0 : (double)fg / pixels;
            counts[a.Labels[i]]++;
            fgPerClass[a.Labels[i]] += frac;
            fgTotal += frac;
        }
        for (int c = 0; c < classes; c++) fgPerClass[c] = counts[c] == 0 ? 0 : Math.Round(fgPerClass[c] / counts[c], 6);
        int s = a.ImageSize;
        return new SplitSummary
        {
            Count = a.Count,
            CountsPerClass = counts,
            ForegroundFraction = a.Count == 0 ? 0 : Math.Round(fgTotal / a.Count, 6),
            ForegroundFractionPerClass = fgPerClass,
            Arrays = new()
            {
                ["images"] = Describe(dir, split, ImagesFile, "|u1", [a.Count, s, s, 3]),
                ["masks"] = Describe(dir, split, MasksFile, "|u1", [a.Count, s, s]),
                ["labels"] = Describe(dir, split, LabelsFile, "<i8", [a.Count]),
            },
        };
    }

    static ArrayFile Describe(string dir, string split, string file, string dtype, long[] shape) => new()
    {
        File = $"{split}/{file}",
        Dtype = dtype,
        Shape = shape,
        Sha256 = NpyFile.Sha256(Path.Combine(dir, file)),
    };

    /// <summary>Reads the manifest, then (lazily, per split) the arrays, checking shapes, dtypes and hashes.</summary>
    public static Dataset Open(string folder, bool verifyHashes = true)
    {
        string manifestPath = Path.Combine(folder, ManifestFile);
        if (!Directory.Exists(folder)) throw new MaskbenchException($"{folder}: no such dataset folder");
        if (!File.Exists(manifestPath)) throw new DataFormatException(manifestPath, "file is missing: is this a dataset folder?");
        DatasetManifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<DatasetManifest>(File.ReadAllText(manifestPath), JsonFormat.SnakeCase)
                       ?? throw new DataFormatException(manifestPath, "manifest is empty");
        }
        catch (JsonException e)
        {
            throw new DataFormatException(manifestPath, "invalid JSON: " + e.Message, e.LineNumber is { } l ? $"line {l + 1}" : null);
        }
        if (manifest.Format != DatasetManifest.CurrentFormat)
            throw new DataFormatException(manifestPath, $"format is '{manifest.Format}', expected '{DatasetManifest.CurrentFormat}'");
        if (manifest.ImageSize <= 0 || manifest.ClassNames.Count == 0 || manifest.Splits.Count == 0)
            throw new DataFormatException(manifestPath, "manifest lacks image_size, class_names or splits");
        return new Dataset(Path.GetFullPath(folder), manifest, verifyHashes);
    }
}
