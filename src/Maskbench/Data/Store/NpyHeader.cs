using System.Globalization;
using System.Text;

namespace Maskbench.Data.Store;

/// <summary>
/// The header of a NumPy .npy file (format versions 1.0 to 3.0, see numpy/lib/format.py): magic "\x93NUMPY",
/// version, little-endian header length, then a Python dict literal with 'descr', 'fortran_order' and 'shape',
/// padded with spaces and a newline so that the data starts at a multiple of 64 bytes.
/// </summary>
public sealed record NpyHeader(string Descr, long[] Shape, long DataOffset)
{
    static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    public long ElementCount => Shape.Aggregate(1L, (a, b) => checked(a * b));

    public int ItemSize => Descr switch
    {
        "|u1" or "|i1" or "|b1" => 1,
        "<i2" or "<u2" => 2,
        "<i4" or "<u4" or "<f4" => 4,
        "<i8" or "<u8" or "<f8" => 8,
        _ => throw new NotSupportedException($"dtype {Descr}"),
    };

    public long DataLength => checked(ElementCount * ItemSize);

    /// <summary>The bytes of a version 1.0 header for this dtype and shape (data offset padded to 64).</summary>
    public static byte[] Encode(string descr, IReadOnlyList<long> shape)
    {
        string shapeText = shape.Count == 1
            ? $"({shape[0]},)"
            : "(" + string.Join(", ", shape.Select(s => s.ToString(CultureInfo.InvariantCulture))) + ")";
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shapeText}, }}";
        int unpadded = Magic.Length + 2 + 2 + dict.Length + 1;
        int total = (unpadded + 63) / 64 * 64;
        string text = dict + new string(' ', total - unpadded) + "\n";
        if (text.Length > ushort.MaxValue) throw new ArgumentException("npy header too long");
        var bytes = new byte[Magic.Length + 4 + text.Length];
        Magic.CopyTo(bytes, 0);
        bytes[6] = 1;
        bytes[7] = 0;
        bytes[8] = (byte)(text.Length & 0xff);
        bytes[9] = (byte)(text.Length >> 8);
        Encoding.ASCII.GetBytes(text, 0, text.Length, bytes, 10);
        return bytes;
    }

    /// <summary>Reads and validates the header at the start of <paramref name="stream"/>.</summary>
    public static NpyHeader Read(Stream stream, string path)
    {
        var prefix = new byte[10];
        if (ReadFully(stream, prefix) < 10) throw new DataFormatException(path, "file is shorter than a .npy header (10 bytes)");
        if (!prefix.AsSpan(0, 6).SequenceEqual(Magic)) throw new DataFormatException(path, "not a NumPy .npy file (bad magic)", "byte 0");
        int major = prefix[6];
        long headerLength;
        long start;
        if (major == 1)
        {
            headerLength = prefix[8] | (prefix[9] << 8);
            start = 10;
        }
        else if (major is 2 or 3)
        {
            var more = new byte[2];
            if (ReadFully(stream, more) < 2) throw new DataFormatException(path, "truncated .npy header");
            headerLength = (long)((uint)prefix[8] | ((uint)prefix[9] << 8) | ((uint)more[0] << 16) | ((uint)more[1] << 24));
            start = 12;
        }
        else throw new DataFormatException(path, $"unsupported .npy format version {major}.{prefix[7]}", "byte 6");
        if (headerLength > 1 << 20) throw new DataFormatException(path, $"implausible .npy header length {headerLength}", "byte 8");
        var headerBytes = new byte[headerLength];
        if (ReadFully(stream, headerBytes) < headerLength) throw new DataFormatException(path, "truncated .npy header");
        string text = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(headerBytes).Trim();
        (string descr, bool fortran, long[] shape) dict;
        try { dict = ParseDict(text, path); }
        catch (Exception e) when (e is FormatException or IndexOutOfRangeException)
        {
            throw new DataFormatException(path, $"malformed header dict '{text}'", "header", e);
        }
        var (descr, fortran, shape) = dict;
        if (fortran) throw new DataFormatException(path, "Fortran-ordered arrays are not supported (save with C order)", "header");
        var header = new NpyHeader(descr, shape, start + headerLength);
        try { _ = header.ItemSize; }
        catch (NotSupportedException) { throw new DataFormatException(path, $"unsupported dtype '{descr}'", "header"); }
        // The data length is trusted nowhere below: a shape whose byte count does not fit in 64 bits is a broken file.
        try { _ = header.DataLength; }
        catch (OverflowException) { throw new DataFormatException(path, $"shape ({string.Join(", ", shape)}) holds more bytes than any file can",
            "header"); }
        return header;
    }

    static int ReadFully(Stream s, byte[] buffer)
    {
        int n = 0;
        while (n < buffer.Length)
        {
            int r = s.Read(buffer, n, buffer.Length - n);
            if (r == 0) break;
            n += r;
        }
        return n;
    }

    // A small parser for the one dict literal NumPy writes; anything else is an error, not a guess.
    static (string Descr, bool Fortran, long[] Shape) ParseDict(string text, string path)
    {
        string? descr = null;
        bool? fortran = null;
        long[]? shape = null;
        if (!text.StartsWith('{') || !text.EndsWith('}')) throw Bad("header is not a dict literal");
        int i = 1;
        while (true)
        {
            SkipSpace(text, ref i);
            if (text[i] == '}') break;
            string key = ReadQuoted(text, ref i) ?? throw Bad("expected a quoted key");
            SkipSpace(text, ref i);
            if (text[i++] != ':') throw Bad($"expected ':' after '{key}'");
            SkipSpace(text, ref i);
            switch (key)
            {
                case "descr": descr = ReadQuoted(text, ref i) ?? throw Bad("descr must be a string"); break;
                case "fortran_order":
                    if (text.AsSpan(i).StartsWith("False")) { fortran = false; i += 5; }
                    else if (text.AsSpan(i).StartsWith("True")) { fortran = true; i += 4; }
                    else throw Bad("fortran_order must be True or False");
                    break;
                case "shape":
                    if (text[i++] != '(') throw Bad("shape must be a tuple");
                    var dims = new List<long>();
                    while (true)
                    {
                        SkipSpace(text, ref i);
                        if (text[i] == ')') { i++; break; }
                        int s = i;
                        while (char.IsDigit(text[i])) i++;
                        if (s == i || !long.TryParse(text.AsSpan(s, i - s), NumberStyles.None, CultureInfo.InvariantCulture, out long d))
                            throw Bad("shape entries must be non-negative integers");
                        dims.Add(d);
                        SkipSpace(text, ref i);
                        if (text[i] == ',') i++;
                    }
                    shape = dims.ToArray();
                    break;
                default: throw Bad($"unexpected key '{key}'");
            }
            SkipSpace(text, ref i);
            if (text[i] == ',') i++;
        }
        if (descr is null || fortran is null || shape is null) throw Bad("header lacks descr, fortran_order or shape");
        return (descr, fortran.Value, shape);

        DataFormatException Bad(string problem) => new(path, problem + $" in '{text}'", "header");
    }

    static void SkipSpace(string t, ref int i)
    {
        while (i < t.Length && char.IsWhiteSpace(t[i])) i++;
        if (i >= t.Length) throw new FormatException("unexpected end of header");
    }

    static string? ReadQuoted(string t, ref int i)
    {
        char q = t[i];
        if (q != '\'' && q != '"') return null;
        int end = t.IndexOf(q, i + 1);
        if (end < 0) return null;
        string s = t.Substring(i + 1, end - i - 1);
        i = end + 1;
        return s;
    }
}
