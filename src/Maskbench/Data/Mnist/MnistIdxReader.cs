using System.Buffers.Binary;
using System.IO.Compression;

namespace Maskbench.Data.Mnist;

/// <summary>
/// Reads MNIST's IDX files (LeCun and Cortes, "THE MNIST DATABASE of handwritten digits": a 32-bit big-endian magic
/// number whose third byte is the element type 0x08 = unsigned byte and whose fourth is the number of dimensions,
/// then one big-endian 32-bit size per dimension, then the elements row-major). Images use magic 2051 (3 dims),
/// labels 2049 (1 dim). Files may be gzip-compressed (detected by the 1f 8b signature, not by the name).
/// Every problem is a <see cref="DataFormatException"/> naming the file.
/// </summary>
public static class MnistIdxReader
{
    public const int ImagesMagic = 2051;
    public const int LabelsMagic = 2049;

    /// <summary>Reads an images file: count × rows × columns bytes (0 = background, 255 = ink).</summary>
    public static MnistImages ReadImages(string path)
    {
        byte[] data = ReadAllDecompressed(path);
        int[] dims = ReadHeader(path, data, ImagesMagic, 3);
        int count = dims[0], rows = dims[1], cols = dims[2];
        if (rows <= 0 || cols <= 0) throw new DataFormatException(path, $"image size {rows}x{cols} is not positive", "header");
        long expected = 16L + (long)count * rows * cols;
        CheckLength(path, data, expected, $"{count} images of {rows}x{cols}");
        var pixels = new byte[(long)count * rows * cols];
        Array.Copy(data, 16, pixels, 0, pixels.Length);
        return new MnistImages(count, rows, cols, pixels);
    }

    /// <summary>Reads a labels file; every label must be a digit 0–9.</summary>
    public static byte[] ReadLabels(string path)
    {
        byte[] data = ReadAllDecompressed(path);
        int[] dims = ReadHeader(path, data, LabelsMagic, 1);
        CheckLength(path, data, 8L + dims[0], $"{dims[0]} labels");
        var labels = data.AsSpan(8, dims[0]).ToArray();
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] > 9) throw new DataFormatException(path, $"label {labels[i]} is not a digit 0-9", $"label index {i}");
        return labels;
    }

    /// <summary>Reads a matching pair and checks that the counts agree.</summary>
    public static (MnistImages Images, byte[] Labels) ReadPair(string imagesPath, string labelsPath)
    {
        var images = ReadImages(imagesPath);
        var labels = ReadLabels(labelsPath);
        if (labels.Length != images.Count)
            throw new DataFormatException(labelsPath, $"has {labels.Length} labels but {imagesPath} has {images.Count} images; they must agree",
                "header");
        return (images, labels);
    }

    /// <summary>Finds the standard file names (t10k-* or train-*, .gz or raw) in a folder.</summary>
    public static (string Images, string Labels) Locate(string folder, string prefix = "t10k")
    {
        if (!Directory.Exists(folder)) throw new MaskbenchException($"{folder}: MNIST folder does not exist");
        string Find(string stem)
        {
            foreach (string name in new[] { stem + ".gz", stem, stem.Replace("-idx", ".idx") + ".gz", stem.Replace("-idx", ".idx") })
            {
                string p = Path.Combine(folder, name);
                if (File.Exists(p)) return p;
            }
            throw new MaskbenchException($"{folder}: no {stem}[.gz] (expected MNIST's IDX files, for example t10k-images-idx3-ubyte.gz)");
        }
        return (Find($"{prefix}-images-idx3-ubyte"), Find($"{prefix}-labels-idx1-ubyte"));
    }

    static byte[] ReadAllDecompressed(string path)
    {
        if (!File.Exists(path)) throw new MaskbenchException($"{path}: file does not exist");
        byte[] raw = File.ReadAllBytes(path);
        if (raw.Length >= 2 && raw[0] == 0x1f && raw[1] == 0x8b)
        {
            try
            {
                using var gz = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
                using var output = new MemoryStream();
                gz.CopyTo(output);
                return output.ToArray();
            }
            catch (InvalidDataException e)
            {
                throw new DataFormatException(path, $"gzip stream is corrupt or truncated ({e.Message})", null, e);
            }
            catch (EndOfStreamException e)
            {
                throw new DataFormatException(path, "gzip stream is truncated", null, e);
            }
        }
        return raw;
    }

    static int[] ReadHeader(string path, byte[] data, int expectedMagic, int dimensions)
    {
        int headerBytes = 4 + 4 * dimensions;
        if (data.Length < 4)
            throw new DataFormatException(path, $"file is {data.Length} bytes, shorter than the {headerBytes}-byte IDX header", "header");
        int magic = BinaryPrimitives.ReadInt32BigEndian(data);
        if (magic != expectedMagic)
        {
            string hint = magic == ImagesMagic ? " (this is an images file)" : magic == LabelsMagic ? " (this is a labels file)" : "";
            throw new DataFormatException(path, $"magic number {magic} is not {expectedMagic}{hint}", "byte 0");
        }
        if (data.Length < headerBytes)
            throw new DataFormatException(path, $"file is {data.Length} bytes, shorter than the {headerBytes}-byte IDX header", "header");
        var dims = new int[dimensions];
        for (int d = 0; d < dimensions; d++)
        {
            dims[d] = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(4 + 4 * d));
            if (dims[d] < 0) throw new DataFormatException(path, $"dimension {d} is negative ({dims[d]})", $"byte {4 + 4 * d}");
        }
        return dims;
    }

    static void CheckLength(string path, byte[] data, long expected, string what)
    {
        if (data.Length < expected)
            throw new DataFormatException(path, $"truncated: header promises {what} ({expected} bytes) but the file has {data.Length}",
                "end of file");
        if (data.Length > expected)
            throw new DataFormatException(path, $"{data.Length - expected} bytes follow the {what} the header promises", $"byte {expected}");
    }
}

/// <summary>MNIST images: <see cref="Count"/> × <see cref="Rows"/> × <see cref="Columns"/> bytes, row-major.</summary>
public sealed record MnistImages(int Count, int Rows, int Columns, byte[] Pixels)
{
    public ReadOnlySpan<byte> Image(int index) => Pixels.AsSpan(index * Rows * Columns, Rows * Columns);
}
