using System.Text.Json;
using Maskbench.Data.Store;

namespace Maskbench.Data;

/// <summary>
/// A dataset is a folder: `dataset.json` and one subfolder per split (`train/`, `test/`) holding `images.npy`
/// (uint8 N×S×S×3 RGB), `masks.npy` (uint8 0/1 N×S×S) and `labels.npy` (int64 N). NumPy loads every array as it is,
/// also with mmap_mode='r'. Writes go to a temporary sibling folder that is renamed into place when complete.
/// </summary>
public static class DatasetStore
{
    public const string ManifestFile = "dataset.json";
    public const string ImagesFile = "images.npy";
    public const string MasksFile = "masks.npy";
    public const string LabelsFile = "labels.npy";

    public static void Write(string folder, DatasetManifest manifest, IReadOnlyDictionary<string, SplitArrays> splits)
    {
        if (splits.Count == 0) throw new ArgumentException("a dataset needs at least one split");
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
            File.WriteAllText(Path.Combine(temp, ManifestFile), JsonSerializer.Serialize(manifest, DatasetManifest.JsonOptions) + "\n");
            ReplaceFolder(temp, folder);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Moves <paramref name="source"/> to <paramref name="destination"/>, replacing an existing folder.</summary>
    public static void ReplaceFolder(string source, string destination)
    {
        if (!Directory.Exists(destination))
        {
            Directory.Move(source, destination);
            return;
        }
        string old = destination + $".old-{Guid.NewGuid():N}";
        Directory.Move(destination, old);
        Directory.Move(source, destination);
        TryDelete(old);
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
            manifest = JsonSerializer.Deserialize<DatasetManifest>(File.ReadAllText(manifestPath), DatasetManifest.JsonOptions)
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
