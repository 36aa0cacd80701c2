using System.Text.Json;
using System.Text.Json.Serialization;
using Maskbench.Data.Store;
using static TorchSharp.torch;
using Maskbench.Files;

namespace Maskbench.Evaluation;

/// <summary>How saved adversarial images are stored.</summary>
public enum AdversarialPixels
{
    /// <summary>Bytes, round(255·x), as the dataset store holds images.</summary>
    UInt8,
    /// <summary>The attack's float32 values in [0, 1], exactly as the model was judged on them.</summary>
    Float32,
}

/// <summary>
/// One saved adversarial example: the dataset row, its label, the model's prediction at the saved pixels, the clean
/// prediction, whether the attack fooled the model (at <see cref="Epsilon"/>), the iterate that did (−1: none), and the
/// margin z_y − max_{j≠y} z_j at the attack's input (negative when fooled). <see cref="Epsilon"/> is the smallest ε of
/// the sweep that fooled it, or the largest ε when none did.
/// </summary>
public sealed record AdversarialRecord(int Index, long Label, long Prediction, long CleanPrediction, bool Fooled, int Step,
    double Margin, double Epsilon, string? FooledBy);

/// <summary>The side file of a saved array: its layout and one record per image, in the array's order.</summary>
public sealed class AdversarialRecords
{
    public string Format { get; init; } = "maskbench-adversarial-1";
    /// <summary>"uint8" or "float32".</summary>
    public required string Dtype { get; init; }
    /// <summary>N, S, S, 3: the dataset store's images.npy layout.</summary>
    public required long[] Shape { get; init; }
    public required string Model { get; init; }
    public required string Attack { get; init; }
    public required string Threat { get; init; }
    public required string Norm { get; init; }
    public required IReadOnlyList<AdversarialRecord> Records { get; init; }

    internal static JsonSerializerOptions Json => JsonFormat.WithNulls;

    public static AdversarialRecords Read(string path) =>
        JsonSerializer.Deserialize<AdversarialRecords>(File.ReadAllText(path), Json) ?? throw new MaskbenchException($"{path}: empty records file");
}

/// <summary>
/// Writes the final adversarial images of an evaluation to FILE.npy (N×S×S×3, uint8 or float32, the layout of the
/// dataset store, so <c>np.load</c> reads it) and their records to FILE.records.json beside it. Both are written under
/// temporary names and renamed by <see cref="Complete"/>; a writer disposed before that leaves nothing behind.
/// </summary>
public sealed class AdversarialExampleWriter : IDisposable
{
    readonly string _path;
    readonly string _temporary;
    readonly List<AdversarialRecord> _records = [];
    FileStream? _stream;
    long[] _shape = [];
    bool _completed;

    public AdversarialPixels Pixels { get; }
    public string ArrayPath => _path;
    public string RecordsPath => RecordsPathOf(_path);

    /// <summary>FILE.npy → FILE.records.json.</summary>
    public static string RecordsPathOf(string npyPath) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(npyPath))!, Path.GetFileNameWithoutExtension(npyPath) + ".records.json");

    public AdversarialExampleWriter(string path, AdversarialPixels pixels = AdversarialPixels.UInt8)
    {
        if (!path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase)) throw new MaskbenchException(
            $"{path}: adversarial examples are written as .npy");
        _path = Path.GetFullPath(path);
        _temporary = AtomicFile.TemporaryName(_path);
        Pixels = pixels;
    }

    internal void Begin(int count, int size)
    {
        if (_stream is not null) throw new InvalidOperationException("the writer has already begun");
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        _shape = [count, size, size, 3];
        _stream = new FileStream(_temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        _stream.Write(NpyHeader.Encode(Pixels == AdversarialPixels.UInt8 ? "|u1" : "<f4", _shape));
    }

    /// <summary>The pixels as stored: NCHW float32 in [0, 1] to N×S×S×3 in the writer's type (on the CPU).</summary>
    internal Tensor Stored(Tensor images)
    {
        var nhwc = images.detach().permute(0, 2, 3, 1);
        return Pixels == AdversarialPixels.UInt8
            ? nhwc.mul(255).round_().clamp_(0, 255).to_type(ScalarType.Byte).cpu().contiguous()
            : nhwc.to_type(ScalarType.Float32).cpu().contiguous();
    }

    /// <summary>The stored pixels seen as the model sees them (NCHW float32 on <paramref name="device"/>).</summary>
    internal static Tensor AsModelInput(Tensor stored, Device device)
    {
        var x = stored.permute(0, 3, 1, 2).to_type(ScalarType.Float32);
        if (stored.dtype == ScalarType.Byte) x = x.div(255f);
        return x.contiguous().to(device);
    }

    internal void Add(Tensor stored, IReadOnlyList<AdversarialRecord> records)
    {
        if (_stream is null) throw new InvalidOperationException("Begin first");
        if (stored.shape[0] != records.Count) throw new ArgumentException("one record per image");
        if (Pixels == AdversarialPixels.UInt8) _stream.Write(stored.data<byte>().ToArray());
        else _stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(stored.data<float>().ToArray().AsSpan()));
        _records.AddRange(records);
    }

    /// <summary>Checks the count, writes the records and renames both files into place.</summary>
    internal void Complete(string model, string attack, string threat, string norm)
    {
        if (_stream is null) throw new InvalidOperationException("Begin first");
        if (_records.Count != _shape[0]) throw new InvalidOperationException($"{_records.Count} of {_shape[0]} adversarial examples written");
        _stream.Dispose();
        _stream = null;
        var side = new AdversarialRecords
        {
            Dtype = Pixels == AdversarialPixels.UInt8 ? "uint8" : "float32", Shape = _shape,
            Model = model, Attack = attack, Threat = threat, Norm = norm, Records = _records,
        };
        // The array first, then its records: a reader that finds the records finds the array they describe.
        File.Move(_temporary, _path, overwrite: true);
        AtomicFile.WriteAllText(RecordsPath, JsonSerializer.Serialize(side, AdversarialRecords.Json));
        _completed = true;
    }

    /// <summary>Writes images of one size as a uint8 N×S×S×3 .npy (temporary name, then rename).</summary>
    public static void WriteImages(string path, IReadOnlyList<Data.RgbImage> images)
    {
        if (images.Count == 0) throw new ArgumentException("no images");
        int w = images[0].Width, h = images[0].Height;
        if (images.Any(i => i.Width != w || i.Height != h)) throw new ArgumentException("images differ in size");
        var bytes = new byte[images.Count * w * h * 3];
        for (int i = 0; i < images.Count; i++) images[i].Pixels.CopyTo(bytes, i * w * h * 3);
        AtomicFile.Write(path, temporary => NpyFile.Write<byte>(temporary, bytes, "|u1", [images.Count, h, w, 3]));
    }

    /// <summary>Reads a saved array (uint8, or float32 rounded to bytes as uint8 is written) back as images.</summary>
    public static IReadOnlyList<Data.RgbImage> ReadImages(string path)
    {
        NpyHeader header;
        using (var stream = File.OpenRead(path)) header = NpyHeader.Read(stream, path);
        if (header.Shape.Length != 4 || header.Shape[3] != 3 || header.Descr is not ("|u1" or "<f4"))
            throw new DataFormatException(path, $"expected N x H x W x 3 uint8 or float32, found {header.Descr} ({string.Join(", ", header.Shape)})",
                "header");
        using var view = NpyFile.Open(path, header.Descr, -1, -1, -1, 3);
        int n = (int)header.Shape[0], h = (int)header.Shape[1], w = (int)header.Shape[2], size = h * w * 3;
        var images = new List<Data.RgbImage>(n);
        for (int i = 0; i < n; i++)
        {
            var image = new Data.RgbImage(w, h);
            if (header.Descr == "|u1") view.Bytes((long)i * size, size).CopyTo(image.Pixels);
            else
            {
                var floats = view.Elements<float>((long)i * size, size);
                for (int k = 0; k < size; k++) image.Pixels[k] = (byte)Math.Clamp(
                    MathF.Round(floats[k] * 255, MidpointRounding.AwayFromZero), 0, 255);
            }
            images.Add(image);
        }
        return images;
    }

    public void Dispose()
    {
        _stream?.Dispose();
        _stream = null;
        if (!_completed && File.Exists(_temporary)) File.Delete(_temporary);
    }
}
