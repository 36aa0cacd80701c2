namespace Maskbench.Data.Coco;

/// <summary>
/// The COCO API's compressed RLE string (maskApi.c <c>rleToString</c> / <c>rleFrString</c>): each count is
/// written as a signed little-endian sequence of 5-bit groups, one character per group (value + 48, so the
/// characters are '0'..'o'); bit 0x20 of a group says another group follows, bit 0x10 of the last group is the
/// sign. From the fourth count on, the value stored is the difference to the count two places before
/// (runs of the same colour tend to be alike), which is what keeps the strings short.
/// </summary>
public static class RleString
{
    public static string Encode(ReadOnlySpan<uint> counts)
    {
        // Seven groups hold any 32-bit difference; this bound only sizes the buffer.
        char[] buffer = System.Buffers.ArrayPool<char>.Shared.Rent(Math.Max(1, counts.Length * 7));
        try
        {
            int p = 0;
            for (int i = 0; i < counts.Length; i++)
            {
                long x = counts[i];
                if (i > 2) x -= counts[i - 2];
                bool more = true;
                while (more)
                {
                    int c = (int)(x & 0x1f);
                    x >>= 5; // arithmetic shift: negative differences keep their sign
                    more = (c & 0x10) != 0 ? x != -1 : x != 0;
                    if (more) c |= 0x20;
                    buffer[p++] = (char)(c + 48);
                }
            }
            return new string(buffer, 0, p);
        }
        finally
        {
            System.Buffers.ArrayPool<char>.Shared.Return(buffer);
        }
    }

    /// <summary>Decodes ASCII bytes; throws <see cref="RleFormatException"/> for characters outside '0'..'o' or a cut-off group.</summary>
    public static uint[] Decode(ReadOnlySpan<byte> s)
    {
        // At most one count per character.
        uint[] counts = new uint[s.Length];
        int m = 0, p = 0;
        while (p < s.Length)
        {
            long x = 0;
            int k = 0;
            bool more = true;
            while (more)
            {
                if (p >= s.Length) throw new RleFormatException($"compressed RLE ends inside a count at character {p}");
                int c = s[p] - 48;
                if (c < 0 || c > 63) throw new RleFormatException($"compressed RLE has character '{(char)s[p]}' at {p}, outside '0'..'o'");
                if (k > 6) throw new RleFormatException($"compressed RLE count at character {p} is longer than 7 groups");
                x |= (long)(c & 0x1f) << (5 * k);
                more = (c & 0x20) != 0;
                p++;
                k++;
                if (!more && (c & 0x10) != 0) x |= -1L << (5 * k);
            }
            if (m > 2) x += counts[m - 2];
            counts[m++] = (uint)x;
        }
        Array.Resize(ref counts, m);
        return counts;
    }
}

/// <summary>A compressed RLE string that is not one (bad character, cut-off count); callers add the file and annotation.</summary>
public sealed class RleFormatException(string message) : MaskbenchException(message);
