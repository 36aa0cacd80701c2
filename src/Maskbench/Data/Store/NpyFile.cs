using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Maskbench.Data.Store;

/// <summary>Writes whole .npy arrays and opens them memory-mapped with their shape and dtype checked.</summary>
public static class NpyFile
{
    public static void Write<T>(string path, ReadOnlySpan<T> data, string descr, IReadOnlyList<long> shape) where T : unmanaged
    {
        long expected = shape.Aggregate(1L, (a, b) => a * b);
        if (expected != data.Length) throw new ArgumentException($"{path}: shape ({string.Join(",", shape)}) holds {expected} elements, data has "
            + $"{data.Length}");
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        stream.Write(NpyHeader.Encode(descr, shape));
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("big-endian hosts");
        stream.Write(MemoryMarshal.AsBytes(data));
    }

    public static string Sha256(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>Opens an array memory-mapped, checking dtype and (where given, -1 = any) each dimension.</summary>
    public static NpyArrayView Open(string path, string descr, params long[] expectedShape)
    {
        if (!File.Exists(path)) throw new DataFormatException(path, "file is missing");
        NpyHeader header;
        using (var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
            header = NpyHeader.Read(s, path);
        if (header.Descr != descr)
            throw new DataFormatException(path, $"dtype is '{header.Descr}', expected '{descr}'", "header");
        if (header.Shape.Length != expectedShape.Length || header.Shape.Where((d, i) => expectedShape[i] >= 0 && d != expectedShape[i]).Any())
            throw new DataFormatException(path,
                $"shape is ({string.Join(", ", header.Shape)}), expected "
                    + $"({string.Join(", ", expectedShape.Select(d => d < 0 ? "any" : d.ToString()))})", "header");
        long length = new FileInfo(path).Length;
        if (length != header.DataOffset + header.DataLength)
            throw new DataFormatException(path, $"file has {length} bytes, the header promises {header.DataOffset + header.DataLength} (truncated or "
                + "padded)");
        return new NpyArrayView(path, header);
    }
}

/// <summary>A read-only memory-mapped view of one .npy array's data.</summary>
public sealed unsafe class NpyArrayView : IDisposable
{
    readonly MemoryMappedFile? _file;
    readonly MemoryMappedViewAccessor? _view;
    readonly byte* _data;

    public string Path { get; }
    public NpyHeader Header { get; }

    internal NpyArrayView(string path, NpyHeader header)
    {
        Path = path;
        Header = header;
        if (header.DataLength == 0) return;
        _file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        _view = _file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* p = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _data = p + _view.PointerOffset + header.DataOffset;
    }

    /// <summary>The raw data bytes from element <paramref name="start"/>, <paramref name="count"/> elements long.</summary>
    public ReadOnlySpan<byte> Bytes(long start, long count)
    {
        long item = Header.ItemSize;
        if (start < 0 || count < 0 || start + count > Header.ElementCount) throw new ArgumentOutOfRangeException(nameof(start));
        if (count == 0) return ReadOnlySpan<byte>.Empty;
        return new ReadOnlySpan<byte>(_data + start * item, checked((int)(count * item)));
    }

    public ReadOnlySpan<T> Elements<T>(long start, long count) where T : unmanaged => MemoryMarshal.Cast<byte, T>(Bytes(start, count));

    bool _disposed;

    /// <summary>Idempotent: a split disposed by its user and again by its dataset is fine.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
        _file?.Dispose();
    }
}
