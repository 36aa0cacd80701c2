using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Maskbench.Tests.Data.Images;

/// <summary>
/// Writes PNG files by hand (signature, IHDR, one zlib IDAT, IEND; PNG specification, 2nd ed., sections 5 and 11),
/// so tests can make files SkiaSharp's encoder would not: RGBA with chosen colours, or a header claiming any size.
/// </summary>
internal static class MinimalPng
{
    /// <param name="rows">Filtered scanlines (each starts with its filter-type byte), concatenated into IDAT.</param>
    public static byte[] Build(int width, int height, byte colourType, byte[][] rows)
    {
        using var file = new MemoryStream();
        file.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        byte[] ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;            // bit depth
        ihdr[9] = colourType;   // 2 RGB, 6 RGBA
        Chunk(file, "IHDR", ihdr);
        using (var compressed = new MemoryStream())
        {
            using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
                foreach (byte[] row in rows) zlib.Write(row);
            Chunk(file, "IDAT", compressed.ToArray());
        }
        Chunk(file, "IEND", []);
        return file.ToArray();
    }

    static void Chunk(Stream file, string type, byte[] data)
    {
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(number, data.Length);
        file.Write(number);
        byte[] typed = [.. Encoding.ASCII.GetBytes(type), .. data];
        file.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(number, Crc32(typed));
        file.Write(number);
    }

    /// <summary>CRC-32 (ISO-HDLC, reflected polynomial 0xEDB88320) over chunk type and data.</summary>
    static uint Crc32(byte[] bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }
}
