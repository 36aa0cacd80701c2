using System.Text;

namespace Maskbench.Tests.Fuzz;

/// <summary>
/// Inputs for the reader fuzz tests, derived from a valid seed file: random bytes, truncations, byte and bit flips,
/// deleted, duplicated and inserted slices, and (for text formats) numbers replaced by extreme ones (1e30,
/// 2^31, -1, NaN), which reach far deeper into a reader than random bytes do.
/// </summary>
static class Mutations
{
    static readonly string[] ExtremeNumbers =
    [
        "0", "-1", "1", "-0", "0.5", "1e30", "-1e30", "1e400", "-1e400", "1e-320", "NaN", "2147483647", "2147483648", "-2147483649",
        "4294967295", "4294967296", "9223372036854775807", "9223372036854775808", "18446744073709551616", "99999999999999999999999",
    ];

    public enum Kind { RandomBytes, Truncation, ByteFlips, BitFlip, ExtremeNumber, DeleteSlice, DuplicateSlice, InsertBytes }

    public static (Kind Kind, byte[] Input) Next(Random rng, byte[] seed)
    {
        var kind = (Kind)rng.Next(8);
        return (kind, Apply(kind, rng, seed));
    }

    static byte[] Apply(Kind kind, Random rng, byte[] seed)
    {
        int n = seed.Length;
        switch (kind)
        {
            case Kind.RandomBytes:
            {
                var b = new byte[rng.Next(0, 2 * n + 2)];
                rng.NextBytes(b);
                // Half of them start like the seed, so that magic numbers and headers are passed more often.
                if (rng.Next(2) == 0) seed.AsSpan(0, Math.Min(n, Math.Min(b.Length, rng.Next(1, 32)))).CopyTo(b);
                return b;
            }
            case Kind.Truncation:
                return seed[..rng.Next(0, n)];
            case Kind.ByteFlips:
            {
                var b = (byte[])seed.Clone();
                for (int k = rng.Next(1, 9); k > 0 && n > 0; k--) b[rng.Next(n)] = (byte)rng.Next(256);
                return b;
            }
            case Kind.BitFlip:
            {
                var b = (byte[])seed.Clone();
                if (n > 0) b[rng.Next(n)] ^= (byte)(1 << rng.Next(8));
                return b;
            }
            case Kind.ExtremeNumber:
                return ReplaceNumber(rng, seed) ?? Apply(Kind.ByteFlips, rng, seed);
            case Kind.DeleteSlice:
            {
                if (n == 0) return seed;
                int start = rng.Next(n), length = rng.Next(1, Math.Min(64, n - start) + 1);
                return [.. seed.AsSpan(0, start), .. seed.AsSpan(start + length)];
            }
            case Kind.DuplicateSlice:
            {
                if (n == 0) return seed;
                int start = rng.Next(n), length = rng.Next(1, Math.Min(256, n - start) + 1);
                int at = rng.Next(n + 1);
                return [.. seed.AsSpan(0, at), .. seed.AsSpan(start, length), .. seed.AsSpan(at)];
            }
            default:
            {
                var extra = new byte[rng.Next(1, 17)];
                rng.NextBytes(extra);
                int at = rng.Next(n + 1);
                return [.. seed.AsSpan(0, at), .. extra, .. seed.AsSpan(at)];
            }
        }
    }

    /// <summary>Replaces one run of digits (with sign, point and exponent) by an extreme number; null if there is none.</summary>
    static byte[]? ReplaceNumber(Random rng, byte[] seed)
    {
        var runs = new List<(int Start, int Length)>();
        for (int i = 0; i < seed.Length;)
        {
            if (!char.IsAsciiDigit((char)seed[i])) { i++; continue; }
            int start = i > 0 && seed[i - 1] == '-' ? i - 1 : i;
            while (i < seed.Length && (char.IsAsciiDigit((char)seed[i])
                || seed[i] is (byte)'.' or (byte)'e' or (byte)'E' or (byte)'+' or (byte)'-')) i++;
            runs.Add((start, i - start));
        }
        if (runs.Count == 0) return null;
        var (s, l) = runs[rng.Next(runs.Count)];
        byte[] number = Encoding.ASCII.GetBytes(ExtremeNumbers[rng.Next(ExtremeNumbers.Length)]);
        return [.. seed.AsSpan(0, s), .. number, .. seed.AsSpan(s + l)];
    }
}
