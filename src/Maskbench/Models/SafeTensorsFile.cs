using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;
using Maskbench.Files;

namespace Maskbench.Models;

/// <summary>
/// Reads and writes the safetensors format (https://github.com/huggingface/safetensors, "Format"): an 8-byte
/// little-endian header length N, N bytes of UTF-8 JSON mapping each tensor name to
/// <c>{"dtype", "shape", "data_offsets": [begin, end]}</c> (offsets relative to the byte after the header) plus an
/// optional <c>"__metadata__"</c> object of strings, then the raw little-endian row-major data. We pad the header
/// with spaces to a multiple of 8 bytes, as the reference writer does, so the data is aligned. The metadata also
/// holds <c>data_sha256</c>, the SHA-256 of the data section, which every read checks when present: a file whose
/// tensor bytes changed (zeroed, flipped, truncated) is refused instead of loaded as other weights. Readers that do
/// not know the key (PyTorch's safetensors) ignore it.
/// </summary>
public static class SafeTensorsFile
{
    static readonly (string Name, ScalarType Type, int Size)[] DTypes =
    [
        ("F32", ScalarType.Float32, 4), ("F64", ScalarType.Float64, 8), ("F16", ScalarType.Float16, 2),
        ("I64", ScalarType.Int64, 8), ("I32", ScalarType.Int32, 4), ("U8", ScalarType.Byte, 1), ("BOOL", ScalarType.Bool, 1),
    ];

    /// <summary>The metadata key holding the SHA-256 (lowercase hex) of the data section.</summary>
    public const string DataSha256Key = "data_sha256";

    /// <summary>Writes the tensors in the given order, atomically (temporary file, then rename).</summary>
    public static void Write(string path, IEnumerable<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        var meta = new JsonObject();
        if (metadata is not null)
            foreach (var (k, v) in metadata) meta[k] = v;
        header["__metadata__"] = meta;
        var blobs = new List<byte[]>();
        long offset = 0;
        foreach (var (name, t) in tensors)
        {
            if (name == "__metadata__" || header.ContainsKey(name)) throw new ArgumentException($"duplicate or reserved tensor name '{name}'");
            var dtype = DTypes.FirstOrDefault(d => d.Type == t.dtype);
            if (dtype.Name is null) throw new MaskbenchException($"tensor '{name}' has dtype {t.dtype}, which safetensors export does not support");
            using var cpu = t.detach().cpu().contiguous();
            byte[] data = cpu.bytes.ToArray();
            if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors writing assumes a little-endian machine");
            var shape = new JsonArray();
            foreach (long d in t.shape) shape.Add(d);
            header[name] = new JsonObject
            {
                ["dtype"] = dtype.Name,
                ["shape"] = shape,
                ["data_offsets"] = new JsonArray(offset, offset + data.Length),
            };
            offset += data.Length;
            blobs.Add(data);
        }
        using (var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256))
        {
            foreach (var blob in blobs) sha.AppendData(blob);
            meta[DataSha256Key] = Convert.ToHexStringLower(sha.GetHashAndReset());
        }
        byte[] json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8;
        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
            stream.Write(length);
            stream.Write(json);
            for (int i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
            foreach (var blob in blobs) stream.Write(blob);
        });
    }

    /// <summary>Reads every tensor (on the CPU, in file order) and the metadata strings.</summary>
    public static (List<(string Name, Tensor Tensor)> Tensors, Dictionary<string, string> Metadata) Read(string path) => Read(path, out _);

    /// <summary>As <see cref="Read(string)"/>, also giving the SHA-256 of the bytes read (the file as used).</summary>
    public static (List<(string Name, Tensor Tensor)> Tensors, Dictionary<string, string> Metadata) Read(string path, out string fileSha256)
    {
        if (!File.Exists(path)) throw new MaskbenchException($"{path}: file not found");
        byte[] bytes = File.ReadAllBytes(path);
        fileSha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
        if (bytes.Length < 8) throw new DataFormatException(path, "file is shorter than the 8-byte header length");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (n > (ulong)(bytes.Length - 8)) throw new DataFormatException(path, $"header length {n} exceeds the file size {bytes.Length}", "byte 0");
        JsonObject header;
        try
        {
            header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, (int)n))?.AsObject()
                ?? throw new DataFormatException(path, "header is not a JSON object", "header");
        }
        catch (JsonException e) { throw new DataFormatException(path, "header is not valid JSON: " + e.Message, "header", e); }
        catch (InvalidOperationException e) { throw new DataFormatException(path, "header is not a JSON object", "header", e); }
        long dataStart = 8 + (long)n;
        long dataLength = bytes.Length - dataStart;
        var metadata = new Dictionary<string, string>();
        var tensors = new List<(string, Tensor)>();
        try
        {
            foreach (var (name, node) in header)
            {
                if (name == "__metadata__")
                {
                    foreach (var (k, v) in Present(node, path, "__metadata__").AsObject())
                        metadata[k] = Present(v, path, $"__metadata__ '{k}'").GetValue<string>();
                    continue;
                }
                string where = $"tensor '{name}'";
                var entry = Present(node, path, where).AsObject();
                string dtypeName = Present(entry["dtype"], path, where + " dtype").GetValue<string>();
                var dtype = DTypes.FirstOrDefault(d => d.Name == dtypeName);
                if (dtype.Name is null) throw new DataFormatException(path, $"unsupported dtype '{dtypeName}'", $"tensor '{name}'");
                long[] shape = Present(entry["shape"], path, where + " shape").AsArray()
                    .Select(s => Present(s, path, where + " shape").GetValue<long>()).ToArray();
                var offsets = Present(entry["data_offsets"], path, where + " data_offsets").AsArray()
                    .Select(s => Present(s, path, where + " data_offsets").GetValue<long>()).ToArray();
                if (shape.Any(d => d < 0)) throw new DataFormatException(path, $"shape [{string.Join(", ", shape)}] has a negative dimension",
                    $"tensor '{name}'");
                long count = shape.Aggregate(1L, (a, b) => checked(a * b));
                if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] > dataLength || offsets[1] - offsets[0] != checked(count * dtype.Size))
                    throw new DataFormatException(path, $"data_offsets [{string.Join(", ", offsets)}] do not fit shape [{string.Join(", ", shape)}] "
                        + $"of {dtypeName} in {dataLength} data bytes", $"tensor '{name}'");
                var t = empty(shape, dtype.Type);
                bytes.AsSpan((int)(dataStart + offsets[0]), (int)(offsets[1] - offsets[0])).CopyTo(t.bytes);
                tensors.Add((name, t));
            }
        }
        catch (Exception e) when (
            e is InvalidOperationException or FormatException or OverflowException or ArgumentException)
        {
            foreach (var (_, t) in tensors) t.Dispose();
            throw new DataFormatException(path, "malformed header entry: " + e.Message, "header", e);
        }
        catch
        {
            foreach (var (_, t) in tensors) t.Dispose();
            throw;
        }
        if (metadata.TryGetValue(DataSha256Key, out var expected))
        {
            string actual = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes.AsSpan((int)dataStart)));
            if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
            {
                foreach (var (_, t) in tensors) t.Dispose();
                throw new DataFormatException(path,
                    $"the tensor data's SHA-256 is {actual}, the header records {expected} (file changed or corrupt)", "data");
            }
        }
        return (tensors, metadata);
    }

    /// <summary>
    /// A JSON value the format requires, or a refusal naming the file. Checked explicitly rather than left to a null
    /// dereference: a test host was seen to crash in the runtime's own handler for such a fault after hundreds of tests.
    /// </summary>
    static JsonNode Present(JsonNode? node, string path, string what) =>
        node ?? throw new DataFormatException(path, $"{what} is null or missing", "header");
}
