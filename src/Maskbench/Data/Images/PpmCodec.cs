using System.Text;

namespace Maskbench.Data.Images;

/// <summary>
/// Reads and writes 8-bit PPM (Netpbm portable pixmap, netpbm.sourceforge.net/doc/ppm.html), the format GTSRB ships.
/// Strict: the header is validated field by field (see <see cref="PpmHeader"/>), the pixel data must be exactly
/// width × height × 3 samples, and samples above maxval are errors. Files with maxval below 255 are scaled to 0..255
/// (rounded to nearest). Bytes after the pixel data are rejected (P3 may end in whitespace): the Netpbm format allows
/// several images in one stream, but a single-image file with extra bytes far more often means a header whose
/// width or height is wrong, which we would rather report than silently decode as a shifted image.
/// </summary>
public static class PpmCodec
{
    public static RgbImage Read(string path)
    {
        if (!File.Exists(path)) throw new MaskbenchException($"{path}: file not found");
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        return Read(stream, path);
    }

    /// <summary>Decodes one PPM image from <paramref name="stream"/>; <paramref name="path"/> names it in errors.</summary>
    public static RgbImage Read(Stream stream, string path)
    {
        var header = PpmHeader.Read(stream, path);
        // The header has already refused images over RgbImage.MaxPixels, so this allocation is bounded.
        byte[] pixels = header.Format == PpmFormat.Binary
            ? ReadBinarySamples(stream, path, header)
            : ReadPlainSamples(stream, path, header);
        return new RgbImage(header.Width, header.Height, pixels);
    }

    static byte[] ReadBinarySamples(Stream stream, string path, PpmHeader header)
    {
        long expected = header.SampleCount;
        if (stream.CanSeek)
        {
            long available = stream.Length - stream.Position;
            if (available < expected) throw Truncated(path, header, available);
            if (available > expected) throw Trailing(path, header, available - expected);
        }
        byte[] pixels = new byte[expected];
        int read = stream.ReadAtLeast(pixels, pixels.Length, throwOnEndOfStream: false);
        if (read < expected) throw Truncated(path, header, read);
        if (!stream.CanSeek && stream.ReadByte() >= 0)
            throw new DataFormatException(path, $"unexpected bytes after the {expected:N0} bytes of pixel data",
                $"byte {header.DataOffset + expected}");
        if (header.MaxValue < 255)
        {
            byte[] scale = ScaleTable(header.MaxValue);
            for (int i = 0; i < pixels.Length; i++)
            {
                byte v = pixels[i];
                if (v > header.MaxValue)
                    throw new DataFormatException(path, $"sample value {v} exceeds maxval {header.MaxValue}", $"byte {header.DataOffset + i}");
                pixels[i] = scale[v];
            }
        }
        return pixels;
    }

    static byte[] ReadPlainSamples(Stream stream, string path, PpmHeader header)
    {
        long expected = header.SampleCount;
        byte[] pixels = new byte[expected];
        byte[] scale = ScaleTable(header.MaxValue);
        long offset = header.DataOffset;
        int c = stream.ReadByte();
        for (long i = 0; i < expected; i++)
        {
            while (PpmHeader.IsWhitespace(c)) { c = stream.ReadByte(); offset++; }
            if (c < 0)
                throw new DataFormatException(path,
                    $"truncated pixel data: expected {expected:N0} samples for {header.Width}x{header.Height}, found {i:N0}", $"byte {offset}");
            if (c is < '0' or > '9')
                throw new DataFormatException(path, $"expected a decimal sample, found '{PpmHeader.Printable(c)}'", $"byte {offset}");
            long start = offset;
            int value = 0;
            while (c is >= '0' and <= '9')
            {
                value = Math.Min(value * 10 + (c - '0'), 1 << 20);
                c = stream.ReadByte();
                offset++;
            }
            if (value > header.MaxValue)
                throw new DataFormatException(path, $"sample value {value} exceeds maxval {header.MaxValue}", $"byte {start}");
            if (c >= 0 && !PpmHeader.IsWhitespace(c))
                throw new DataFormatException(path, $"expected whitespace after a sample, found '{PpmHeader.Printable(c)}'", $"byte {offset}");
            pixels[i] = scale[value];
        }
        while (PpmHeader.IsWhitespace(c)) { c = stream.ReadByte(); offset++; }
        if (c >= 0)
            throw new DataFormatException(path, $"unexpected data after the {expected:N0} samples", $"byte {offset}");
        return pixels;
    }

    /// <summary>Maps 0..maxval to 0..255 rounded to nearest: v·255/maxval, halves rounded up.</summary>
    static byte[] ScaleTable(int maxValue)
    {
        byte[] table = new byte[maxValue + 1];
        for (int v = 0; v <= maxValue; v++) table[v] = (byte)((v * 255 * 2 + maxValue) / (2 * maxValue));
        return table;
    }

    static DataFormatException Truncated(string path, PpmHeader header, long found) =>
        new(path,
            $"truncated pixel data: a {header.Width}x{header.Height} P6 image needs {header.SampleCount:N0} bytes after the header, found {found:N0}",
            $"byte {header.DataOffset + found}");

    static DataFormatException Trailing(string path, PpmHeader header, long extra) =>
        new(path,
            $"{extra:N0} unexpected bytes after the {header.SampleCount:N0} bytes of pixel data " +
            $"(is the header's size {header.Width}x{header.Height} right?)",
            $"byte {header.DataOffset + header.SampleCount}");

    /// <summary>Writes maxval-255 PPM: P6, or P3 with lines of at most 70 characters as the specification asks.</summary>
    public static void Write(RgbImage image, Stream stream, PpmFormat format = PpmFormat.Binary)
    {
        string magic = format == PpmFormat.Binary ? "P6" : "P3";
        stream.Write(Encoding.ASCII.GetBytes($"{magic}\n{image.Width} {image.Height}\n255\n"));
        if (format == PpmFormat.Binary)
        {
            stream.Write(image.Pixels);
            return;
        }
        var line = new StringBuilder(72);
        using var writer = new StreamWriter(stream, Encoding.ASCII, bufferSize: 1 << 16, leaveOpen: true) { NewLine = "\n" };
        foreach (byte v in image.Pixels)
        {
            string token = v.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (line.Length > 0 && line.Length + 1 + token.Length > 70)
            {
                writer.WriteLine(line);
                line.Clear();
            }
            if (line.Length > 0) line.Append(' ');
            line.Append(token);
        }
        writer.WriteLine(line);
    }

    public static byte[] Encode(RgbImage image, PpmFormat format = PpmFormat.Binary)
    {
        using var memory = new MemoryStream();
        Write(image, memory, format);
        return memory.ToArray();
    }

    public static RgbImage Decode(byte[] bytes, string name)
    {
        using var memory = new MemoryStream(bytes, writable: false);
        return Read(memory, name);
    }
}
