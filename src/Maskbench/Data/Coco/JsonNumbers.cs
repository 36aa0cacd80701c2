using System.Text.Json;

namespace Maskbench.Data.Coco;

/// <summary>
/// Fast exact parsing of the short decimals COCO files are full of ("239.97"). A decimal with at most 15 significant
/// digits and at most 22 fraction digits is m / 10^k with m and 10^k both exact doubles, so one IEEE division gives
/// the correctly rounded value (Clinger's fast path) — the same double <see cref="Utf8JsonReader.GetDouble"/>
/// returns, which matters because polygon rasterization depends on every bit. Anything else falls back to it.
/// </summary>
static class JsonNumbers
{
    static readonly double[] PowersOfTen = Enumerable.Range(0, 23).Select(k =>
        double.Parse("1e" + k, System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    public static double ToDouble(ref Utf8JsonReader reader)
    {
        if (reader.HasValueSequence || reader.ValueIsEscaped) return reader.GetDouble();
        ReadOnlySpan<byte> s = reader.ValueSpan;
        int i = 0;
        bool negative = false;
        if (s.Length > 0 && s[0] == '-') { negative = true; i = 1; }
        long mantissa = 0;
        int digits = 0, fraction = 0;
        bool point = false;
        for (; i < s.Length; i++)
        {
            byte c = s[i];
            if (c >= '0' && c <= '9')
            {
                if (mantissa != 0 || c != '0') digits++;
                mantissa = mantissa * 10 + (c - '0');
                if (point) fraction++;
                if (digits > 15) return reader.GetDouble();
            }
            else if (c == '.' && !point) point = true;
            else return reader.GetDouble(); // exponent or anything unusual
        }
        if (fraction > 22) return reader.GetDouble();
        double value = fraction == 0 ? mantissa : mantissa / PowersOfTen[fraction];
        return negative ? -value : value;
    }
}
