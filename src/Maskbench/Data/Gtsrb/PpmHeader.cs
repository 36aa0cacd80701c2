using System.Text;

namespace Maskbench.Data.Gtsrb;

/// <summary>
/// Reads only the size from a binary PPM (P6) header, so that records can be checked against their CSV row without
/// decoding pixels. Follows the Netpbm PPM specification: magic, whitespace-separated width, height and maxval,
/// with <c>#</c> comments to the end of a line allowed between them (OpenCV writes one).
/// </summary>
static class PpmHeader
{
    public static (int Width, int Height) ReadSize(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 512);
        Span<byte> buffer = stackalloc byte[512];
        int length = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        var header = buffer[..length];
        if (length < 2 || header[0] != (byte)'P' || header[1] != (byte)'6')
            throw new DataFormatException(path, "not a binary PPM file (expected the magic number P6)", "byte 0");
        int position = 2;
        int width = ReadNumber(header, ref position, path, "width");
        int height = ReadNumber(header, ref position, path, "height");
        int maxValue = ReadNumber(header, ref position, path, "maximum value");
        if (width <= 0 || height <= 0 || maxValue <= 0 || maxValue > 65535)
            throw new DataFormatException(path, $"PPM header gives width {width}, height {height}, maximum value {maxValue}", "header");
        return (width, height);
    }

    static int ReadNumber(ReadOnlySpan<byte> header, ref int position, string path, string what)
    {
        while (position < header.Length)
        {
            byte c = header[position];
            if (c == (byte)'#')
            {
                while (position < header.Length && header[position] != (byte)'\n' && header[position] != (byte)'\r') position++;
            }
            else if (c is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or 0x0b or 0x0c) position++;
            else break;
        }
        int start = position;
        long value = 0;
        while (position < header.Length && header[position] is >= (byte)'0' and <= (byte)'9' && position - start < 9)
            value = value * 10 + (header[position++] - '0');
        if (position == start)
        {
            string found = position < header.Length ? Encoding.ASCII.GetString(header.Slice(position, 1)) : "end of file";
            throw new DataFormatException(path, $"PPM header: expected the {what}, found '{found}'", $"byte {position}");
        }
        return (int)value;
    }
}
