using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Maskbench.Batching;

/// <summary>
/// One pass from stored bytes to the floats a batch holds: interleaved RGB (HWC) bytes to three channel planes (CHW) of
/// <c>byte * (1f / 255f)</c>, and mask bytes to floats. Sixteen pixels at a time with SSSE3 byte shuffles and AVX2
/// conversions where the CPU has them; a scalar loop with the same float32 formula otherwise and for the tail, so the
/// values are the same bit for bit either way.
/// </summary>
internal static class PixelPlanes
{
    const float Scale = 1f / 255f;

    // pshufb masks: the R, G and B bytes of 16 interleaved pixels, from each of the three 16-byte loads (-1: zero).
    static readonly Vector128<byte>[] Masks = BuildMasks();

    static Vector128<byte>[] BuildMasks()
    {
        var masks = new Vector128<byte>[9];
        for (int channel = 0; channel < 3; channel++)
            for (int load = 0; load < 3; load++)
            {
                var m = new byte[16];
                for (int p = 0; p < 16; p++)
                {
                    int source = 3 * p + channel - 16 * load;
                    m[p] = source is >= 0 and < 16 ? (byte)source : (byte)0x80;
                }
                masks[channel * 3 + load] = Vector128.Create(m);
            }
        return masks;
    }

    /// <summary><paramref name="pixels"/> HWC RGB pixels to R, G and B planes of <paramref name="pixels"/> floats each.</summary>
    public static unsafe void RgbToPlanes(ReadOnlySpan<byte> hwc, Span<float> chw, int pixels)
    {
        if (hwc.Length < 3 * pixels || chw.Length < 3 * pixels) throw new ArgumentException("spans are shorter than the pixels");
        int p = 0;
        fixed (byte* source = hwc)
        fixed (float* destination = chw)
        {
            float* r = destination, g = destination + pixels, b = destination + 2 * pixels;
            if (Ssse3.IsSupported && Avx2.IsSupported)
            {
                var scale = Vector256.Create(Scale);
                var m = Masks;
                for (; p + 16 <= pixels; p += 16)
                {
                    byte* s = source + 3 * p;
                    var v0 = Sse2.LoadVector128(s);
                    var v1 = Sse2.LoadVector128(s + 16);
                    var v2 = Sse2.LoadVector128(s + 32);
                    Store(Sse2.Or(Sse2.Or(Ssse3.Shuffle(v0, m[0]), Ssse3.Shuffle(v1, m[1])), Ssse3.Shuffle(v2, m[2])), r + p, scale);
                    Store(Sse2.Or(Sse2.Or(Ssse3.Shuffle(v0, m[3]), Ssse3.Shuffle(v1, m[4])), Ssse3.Shuffle(v2, m[5])), g + p, scale);
                    Store(Sse2.Or(Sse2.Or(Ssse3.Shuffle(v0, m[6]), Ssse3.Shuffle(v1, m[7])), Ssse3.Shuffle(v2, m[8])), b + p, scale);
                }
            }
            for (; p < pixels; p++)
            {
                r[p] = source[3 * p] * Scale;
                g[p] = source[3 * p + 1] * Scale;
                b[p] = source[3 * p + 2] * Scale;
            }
        }
    }

    /// <summary>Bytes to floats of the same value.</summary>
    public static unsafe void BytesToFloats(ReadOnlySpan<byte> bytes, Span<float> floats)
    {
        if (floats.Length < bytes.Length) throw new ArgumentException("destination is shorter than the source");
        int i = 0, n = bytes.Length;
        fixed (byte* source = bytes)
        fixed (float* destination = floats)
        {
            if (Avx2.IsSupported)
                for (; i + 8 <= n; i += 8)
                    Avx.Store(destination + i, Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(source + i)));
            for (; i < n; i++) destination[i] = source[i];
        }
    }

    /// <summary>16 bytes to 16 floats times the scale.</summary>
    static unsafe void Store(Vector128<byte> channel, float* destination, Vector256<float> scale)
    {
        Avx.Store(destination, Avx.Multiply(Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(channel)), scale));
        Avx.Store(destination + 8, Avx.Multiply(Avx.ConvertToVector256Single(
            Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(channel, 8))), scale));
    }
}
