using Maskbench.Data.Store;

namespace Maskbench.Data;

/// <summary>An opened dataset folder. Splits are opened on first use and closed with the dataset.</summary>
public sealed class Dataset : IDisposable
{
    readonly bool _verifyHashes;
    readonly Dictionary<string, DatasetSplit> _open = [];

    public string Folder { get; }
    public DatasetManifest Manifest { get; }
    public IReadOnlyList<string> SplitNames => Manifest.Splits.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();

    internal Dataset(string folder, DatasetManifest manifest, bool verifyHashes)
    {
        Folder = folder;
        Manifest = manifest;
        _verifyHashes = verifyHashes;
    }

    public bool HasSplit(string name) => Manifest.Splits.ContainsKey(name);

    public DatasetSplit Split(string name)
    {
        if (_open.TryGetValue(name, out var split)) return split;
        if (!Manifest.Splits.TryGetValue(name, out var summary))
            throw new MaskbenchException($"{Folder}: no split '{name}' (has {string.Join(", ", SplitNames)})");
        split = DatasetSplit.Open(Path.Combine(Folder, name), Manifest, summary, _verifyHashes);
        _open[name] = split;
        return split;
    }

    public void Dispose()
    {
        foreach (var s in _open.Values) s.Dispose();
        _open.Clear();
    }
}

/// <summary>One split's arrays, memory-mapped: reading copies only the rows asked for.</summary>
public sealed class DatasetSplit : IDisposable
{
    readonly NpyArrayView _images;
    readonly NpyArrayView _masks;

    public int Count { get; }
    public int ImageSize { get; }
    public long[] Labels { get; }
    public int ClassCount { get; }
    public int PixelsPerImage => ImageSize * ImageSize;

    DatasetSplit(NpyArrayView images, NpyArrayView masks, long[] labels, int size, int classes)
    {
        _images = images;
        _masks = masks;
        Labels = labels;
        Count = labels.Length;
        ImageSize = size;
        ClassCount = classes;
    }

    internal static DatasetSplit Open(string dir, DatasetManifest manifest, SplitSummary summary, bool verifyHashes)
    {
        int s = manifest.ImageSize;
        long n = summary.Count;
        string imagesPath = Path.Combine(dir, DatasetStore.ImagesFile);
        string masksPath = Path.Combine(dir, DatasetStore.MasksFile);
        string labelsPath = Path.Combine(dir, DatasetStore.LabelsFile);
        if (verifyHashes)
        {
            Verify(imagesPath, summary, "images");
            Verify(masksPath, summary, "masks");
            Verify(labelsPath, summary, "labels");
        }
        long[] labels;
        using (var lv = NpyFile.Open(labelsPath, "<i8", n)) labels = lv.Elements<long>(0, n).ToArray();
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] < 0 || labels[i] >= manifest.ClassNames.Count)
                throw new DataFormatException(labelsPath, $"label {labels[i]} is outside the {manifest.ClassNames.Count} classes", $"row {i}");
        var images = NpyFile.Open(imagesPath, "|u1", n, s, s, 3);
        NpyArrayView masks;
        try { masks = NpyFile.Open(masksPath, "|u1", n, s, s); }
        catch { images.Dispose(); throw; }
        return new DatasetSplit(images, masks, labels, s, manifest.ClassNames.Count);
    }

    static void Verify(string path, SplitSummary summary, string key)
    {
        if (!File.Exists(path)) throw new DataFormatException(path, "file is missing");
        if (!summary.Arrays.TryGetValue(key, out var expected))
            throw new DataFormatException(path, $"the manifest has no SHA-256 for '{key}'");
        string actual = NpyFile.Sha256(path);
        if (!string.Equals(actual, expected.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new DataFormatException(path, $"SHA-256 is {actual}, the manifest says {expected.Sha256} (file changed or corrupt)");
    }

    /// <summary>One image's HWC RGB bytes, straight from the memory map (valid while the split is open).</summary>
    public ReadOnlySpan<byte> ImageBytes(int row) => _images.Bytes((long)row * PixelsPerImage * 3, PixelsPerImage * 3);

    /// <summary>One mask's bytes, straight from the memory map (valid while the split is open).</summary>
    public ReadOnlySpan<byte> MaskBytes(int row) => _masks.Bytes((long)row * PixelsPerImage, PixelsPerImage);

    public void CopyImages(int start, int count, Span<byte> destination) =>
        _images.Bytes((long)start * PixelsPerImage * 3, (long)count * PixelsPerImage * 3).CopyTo(destination);

    public void CopyMasks(int start, int count, Span<byte> destination) =>
        _masks.Bytes((long)start * PixelsPerImage, (long)count * PixelsPerImage).CopyTo(destination);

    public RgbImage Image(int i)
    {
        var img = new RgbImage(ImageSize, ImageSize);
        CopyImages(i, 1, img.Pixels);
        return img;
    }

    public BinaryMask Mask(int i)
    {
        var m = new BinaryMask(ImageSize, ImageSize);
        CopyMasks(i, 1, m.Values);
        return m;
    }

    /// <summary>Copies the given rows (all rows when null) into memory.</summary>
    public SplitArrays Load(IReadOnlyList<int>? indices = null)
    {
        int n = indices?.Count ?? Count;
        var a = new SplitArrays(n, ImageSize);
        for (int i = 0; i < n; i++)
        {
            int row = indices?[i] ?? i;
            CopyImages(row, 1, a.Images.AsSpan(i * PixelsPerImage * 3, PixelsPerImage * 3));
            CopyMasks(row, 1, a.Masks.AsSpan(i * PixelsPerImage, PixelsPerImage));
            a.Labels[i] = Labels[row];
        }
        return a;
    }

    public void Dispose()
    {
        _images.Dispose();
        _masks.Dispose();
    }
}
