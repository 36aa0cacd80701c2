using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Maskbench.Data.Images;

/// <summary>How <see cref="ImageResize.Resize(BinaryMask, int, int, MaskResizeMode)"/> decides a pixel.</summary>
public enum MaskResizeMode
{
    /// <summary>Foreground when at least half the output pixel's footprint is foreground (downscaling axes);
    /// nearest neighbour along axes that grow.</summary>
    Threshold,
    /// <summary>Nearest neighbour along both axes (half-pixel centres).</summary>
    Nearest,
}

/// <summary>
/// Resizing per axis, separably: an axis that shrinks is area-averaged (each output pixel is the area-weighted mean
/// of the source pixels its footprint covers, fractional at the edges; OpenCV's INTER_AREA), an axis that grows is
/// linearly interpolated with half-pixel centres (OpenCV's INTER_LINEAR), an axis that keeps its size is copied.
/// Results are exact: each output is the exact rational weighted sum, rounded once, to nearest with halves up. Images
/// where every output pixel takes at most two source pixels per axis (bilinear upscaling) take
/// <see cref="TwoTapResize"/> (16-bit lanes); others an integer path (weights as integers over a common denominator,
/// precomputed per size pair; the vertical pass and the rounding vectorized) whenever its sums fit in 32 bits, else
/// sums kept in double precision. All give the same bytes.
/// </summary>
public static class ImageResize
{
    // Exact results are rationals whose denominators stay far below 1e9 for images within RgbImage.MaxPixels, so a
    // value that is truly below a rounding boundary is below it by more than this; sums that land just under a
    // boundary by floating error are nudged over it.
    const double RoundingSlack = 1e-9;

    public static RgbImage Resize(RgbImage source, int width, int height)
    {
        CheckSize(width, height);
        if (width == source.Width && height == source.Height) return new RgbImage(width, height, (byte[])source.Pixels.Clone());
        var across = AxisWeights.ForImage(source.Width, width);
        var down = AxisWeights.ForImage(source.Height, height);
        if (TwoTapResize.Applies(across, down)) return TwoTapResize.Resize(source, across, down);
        if (FitsIntegerPath(across, down)) return ResizeExact(source, across, down);
        return ResizeInDoubles(source, across, down);
    }

    /// <summary>The double-precision path, for any size (internal: the tests compare both paths).</summary>
    internal static RgbImage ResizeInDoubles(RgbImage source, AxisWeights across, AxisWeights down)
    {
        int width = across.Length, height = down.Length;
        double[] rows = ResampleRows(source.Pixels, source.Width, source.Height, 3, across);
        var result = new RgbImage(width, height);
        ResampleColumns(rows, width * 3, down, result.Pixels, threshold: false);
        return result;
    }

    public static BinaryMask Resize(BinaryMask source, int width, int height, MaskResizeMode mode = MaskResizeMode.Threshold)
    {
        CheckSize(width, height);
        if (width == source.Width && height == source.Height) return new BinaryMask(width, height, (byte[])source.Values.Clone());
        var across = MaskAxis(source.Width, width, mode);
        var down = MaskAxis(source.Height, height, mode);
        byte[] values = source.Values;
        // Masks may hold any non-zero byte for foreground; the coverage sums treat it as 1.
        if (Array.Exists(values, v => v > 1)) values = Array.ConvertAll(values, v => v != 0 ? (byte)1 : (byte)0);
        double[] rows = ResampleRows(values, source.Width, source.Height, 1, across);
        var result = new BinaryMask(width, height);
        ResampleColumns(rows, width, down, result.Values, threshold: true);
        return result;
    }

    static void CheckSize(int width, int height)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"target size {width}x{height} must be positive");
        if ((long)width * height > RgbImage.MaxPixels)
            throw new ArgumentOutOfRangeException(nameof(width), $"target size {width}x{height} exceeds {RgbImage.MaxPixels} pixels");
    }

    /// <summary>Every sum 2·Σ + D of the integer path stays below 2^31 (D = product of the two denominators).</summary>
    internal static bool FitsIntegerPath(AxisWeights across, AxisWeights down) =>
        (long)across.Denominator * down.Denominator * 511 < int.MaxValue;

    /// <summary>
    /// The integer path: a horizontal pass to integer sums over the across denominator Dx, then per output row a vertical
    /// pass to sums S over D = Dx·Dy fused with the rounding ⌊S/D + ½⌋ = ⌊(2S + D) / 2D⌋. Where 2D is a power of two (linear
    /// scaling between powers of two) the division is a shift; otherwise <see cref="VectorDivision"/> in the vector loop,
    /// and in the scalar tail a double multiplication by 1/(2D) nudged up by 2^-40: an exact quotient k lands at or just
    /// above k, and a quotient below k is below by at least 1/(2D), far more than the nudge and rounding errors move it
    /// (256·2^-39 ≪ 1/(2D) for D below 2^22).
    /// </summary>
    internal static unsafe RgbImage ResizeExact(RgbImage source, AxisWeights across, AxisWeights down)
    {
        int width = across.Length, height = down.Length;
        int rowLength = width * 3;
        int[] rows = ArrayPool<int>.Shared.Rent(source.Height * rowLength + 16);
        try
        {
            HorizontalInIntegers(source.Pixels, source.Width, source.Height, across, rows);
            // Every output byte is written below, so the array need not be zeroed first.
            var result = new RgbImage(width, height, GC.AllocateUninitializedArray<byte>(rowLength * height));
            int denominator = across.Denominator * down.Denominator;
            var rounding = new Rounding(denominator);
            int[] numerators = down.Numerators, starts = down.Start, counts = down.Count;
            fixed (int* rowData = rows)
            fixed (byte* output = result.Pixels)
                for (int y = 0; y < height; y++)
                {
                    int w0 = y * down.Stride;
                    VerticalRow(rowData + starts[y] * rowLength, rowLength, numerators.AsSpan(w0, counts[y]), rounding, output + y * rowLength);
                }
            return result;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(rows);
        }
    }

    /// <summary>⌊(2S + D) / 2D⌋ for one denominator D, as a shift or a nudged double multiplication.</summary>
    readonly struct Rounding
    {
        public readonly int Denominator;
        public readonly int Shift;          // log2(2D), or -1 when 2D is not a power of two
        public readonly double Scale;

        public Rounding(int denominator)
        {
            Denominator = denominator;
            long twice = 2L * denominator;
            Shift = (twice & (twice - 1)) == 0 ? BitOperations.Log2((ulong)twice) : -1;
            Scale = 1.0 / twice * (1 + Math.ScaleB(1.0, -40));
        }

        public byte Scalar(int sum)
        {
            long n = 2L * sum + Denominator;
            return (byte)(Shift >= 0 ? n >> Shift : (long)Math.Floor(n * Scale));
        }
    }

    /// <summary>One output row: Σ_t w_t · rows[t] over the taps, rounded to bytes; 16 values at a time with AVX2.</summary>
    static unsafe void VerticalRow(int* first, int rowLength, ReadOnlySpan<int> weights, in Rounding rounding, byte* output)
    {
        int i = 0, taps = weights.Length;
        if (Avx2.IsSupported)
        {
            var d = Vector256.Create(rounding.Denominator);
            var division = new VectorDivision(2 * rounding.Denominator);
            int shift = rounding.Shift;
            var shiftCount = Vector128.CreateScalar(Math.Max(shift, 0));
            var w0 = Vector256.Create(weights[0]);
            var w1 = Vector256.Create(taps > 1 ? weights[1] : 0);
            int* second = taps > 1 ? first + rowLength : first;
            for (; i + 16 <= rowLength; i += 16)
            {
                var a = Avx2.Add(Avx2.MultiplyLow(Avx.LoadVector256(first + i), w0), Avx2.MultiplyLow(Avx.LoadVector256(second + i), w1));
                var b = Avx2.Add(Avx2.MultiplyLow(Avx.LoadVector256(first + i + 8), w0), Avx2.MultiplyLow(Avx.LoadVector256(second + i + 8), w1));
                for (int t = 2; t < taps; t++)
                {
                    var w = Vector256.Create(weights[t]);
                    int* row = first + t * rowLength + i;
                    a = Avx2.Add(a, Avx2.MultiplyLow(Avx.LoadVector256(row), w));
                    b = Avx2.Add(b, Avx2.MultiplyLow(Avx.LoadVector256(row + 8), w));
                }
                a = Avx2.Add(Avx2.Add(a, a), d);          // 2S + D, below 2^31
                b = Avx2.Add(Avx2.Add(b, b), d);
                Vector128<short> low, high;
                if (shift >= 0)
                {
                    a = Avx2.ShiftRightLogical(a, shiftCount);
                    b = Avx2.ShiftRightLogical(b, shiftCount);
                    low = Sse2.PackSignedSaturate(a.GetLower(), a.GetUpper());
                    high = Sse2.PackSignedSaturate(b.GetLower(), b.GetUpper());
                }
                else
                {
                    a = division.Divide(a);
                    b = division.Divide(b);
                    low = Sse2.PackSignedSaturate(a.GetLower(), a.GetUpper());
                    high = Sse2.PackSignedSaturate(b.GetLower(), b.GetUpper());
                }
                Sse2.Store(output + i, Sse2.PackUnsignedSaturate(low, high));
            }
        }
        for (; i < rowLength; i++)
        {
            int sum = 0;
            for (int t = 0; t < taps; t++) sum += weights[t] * first[t * rowLength + i];
            output[i] = rounding.Scalar(sum);
        }
    }

    static unsafe void HorizontalInIntegers(byte[] source, int width, int height, AxisWeights across, int[] rows)
    {
        int outWidth = across.Length, stride = across.Stride, rowLength = outWidth * 3;
        if (Avx2.IsSupported && Ssse3.IsSupported && across.Stride == 2)
        {
            HorizontalTwoTaps(source, width, height, across, rows);
            return;
        }
        fixed (byte* sourceData = source)
        fixed (int* rowData = rows, numerators = across.Numerators, starts = across.Start, counts = across.Count)
            for (int y = 0; y < height; y++)
            {
                byte* sourceRow = sourceData + y * width * 3;
                int* o = rowData + y * rowLength;
                for (int x = 0; x < outWidth; x++, o += 3)
                {
                    int* w = numerators + x * stride;
                    int count = counts[x];
                    byte* s = sourceRow + starts[x] * 3;
                    if (count == 2)
                    {
                        int wa = w[0], wb = w[1];
                        o[0] = wa * s[0] + wb * s[3];
                        o[1] = wa * s[1] + wb * s[4];
                        o[2] = wa * s[2] + wb * s[5];
                        continue;
                    }
                    int r = 0, g = 0, b = 0;
                    for (int t = 0; t < count; t++, s += 3)
                    {
                        int wt = w[t];
                        r += wt * s[0];
                        g += wt * s[1];
                        b += wt * s[2];
                    }
                    o[0] = r;
                    o[1] = g;
                    o[2] = b;
                }
            }
    }

    /// <summary>
    /// Two-tap axes (linear, which only grows): each output value is wA·s[i] + wB·s[i + 3] of the source row's bytes. In
    /// blocks of 8 values whose taps lie in one 16-byte window (always, when the axis grows), a byte shuffle picks both
    /// taps, which are widened and weighted with AVX2; other blocks, the row's tail and windows that would read past the
    /// image are done one value at a time.
    /// </summary>
    static unsafe void HorizontalTwoTaps(byte[] source, int width, int height, AxisWeights across, int[] rows)
    {
        var (index, weightA, weightB) = across.InterleavedTaps3();
        var (bases, shuffleA, shuffleB, fits) = across.InterleavedBlocks3();
        int rowLength = across.Length * 3, sourceLength = width * 3, blocks = fits ? rowLength / 8 : 0;
        fixed (byte* sourceData = source, maskA = shuffleA, maskB = shuffleB)
        fixed (int* rowData = rows, indices = index, wa = weightA, wb = weightB, offsets = bases)
            for (int y = 0; y < height; y++)
            {
                byte* s = sourceData + y * sourceLength;
                int* o = rowData + y * rowLength;
                int j = 0;
                for (int k = 0; k < blocks; k++, j += 8)
                {
                    if (y * sourceLength + offsets[k] + 16 > source.Length) break;
                    var window = Sse2.LoadVector128(s + offsets[k]);
                    var a = Avx2.ConvertToVector256Int32(Ssse3.Shuffle(window, Sse2.LoadVector128(maskA + 16 * k)));
                    var b = Avx2.ConvertToVector256Int32(Ssse3.Shuffle(window, Sse2.LoadVector128(maskB + 16 * k)));
                    Avx.Store(o + j, Avx2.Add(Avx2.MultiplyLow(a, Avx.LoadVector256(wa + j)), Avx2.MultiplyLow(b, Avx.LoadVector256(wb + j))));
                }
                for (; j < rowLength; j++)
                {
                    int i = indices[j];
                    o[j] = wa[j] * s[i] + (wb[j] == 0 ? 0 : wb[j] * s[i + 3]);
                }
            }
    }

    static AxisWeights MaskAxis(int source, int target, MaskResizeMode mode) =>
        mode == MaskResizeMode.Threshold && target < source ? AxisWeights.Area(source, target) : AxisWeights.Nearest(source, target);

    /// <summary>Horizontal pass: every source row to <c>across.Length</c> output columns, in doubles.</summary>
    static double[] ResampleRows(byte[] source, int width, int height, int channels, AxisWeights across)
    {
        int outWidth = across.Length;
        double[] rows = GC.AllocateUninitializedArray<double>(checked(height * outWidth * channels));
        double[] weights = across.Weights;
        int[] starts = across.Start, counts = across.Count;
        int stride = across.Stride;
        for (int y = 0; y < height; y++)
        {
            int sourceRow = y * width * channels;
            int outRow = y * outWidth * channels;
            if (channels == 3)
            {
                for (int x = 0; x < outWidth; x++)
                {
                    int w0 = x * stride, count = counts[x];
                    int s = sourceRow + starts[x] * 3;
                    double r = 0, g = 0, b = 0;
                    for (int t = 0; t < count; t++, s += 3)
                    {
                        double w = weights[w0 + t];
                        r += w * source[s];
                        g += w * source[s + 1];
                        b += w * source[s + 2];
                    }
                    int o = outRow + x * 3;
                    rows[o] = r;
                    rows[o + 1] = g;
                    rows[o + 2] = b;
                }
                continue;
            }
            for (int x = 0; x < outWidth; x++)
            {
                int w0 = x * stride, count = counts[x];
                int s0 = sourceRow + starts[x] * channels;
                for (int c = 0; c < channels; c++)
                {
                    double sum = 0;
                    for (int t = 0; t < count; t++) sum += weights[w0 + t] * source[s0 + t * channels + c];
                    rows[outRow + x * channels + c] = sum;
                }
            }
        }
        return rows;
    }

    /// <summary>
    /// Vertical pass: combines whole rows of the horizontal pass, then either rounds each value to a byte or, for
    /// masks, compares the coverage with one half.
    /// </summary>
    static void ResampleColumns(double[] rows, int rowLength, AxisWeights down, byte[] destination, bool threshold)
    {
        double[] accumulator = new double[rowLength];
        double[] weights = down.Weights;
        for (int y = 0; y < down.Length; y++)
        {
            int w0 = y * down.Stride;
            var sum = accumulator.AsSpan();
            var first = rows.AsSpan(down.Start[y] * rowLength, rowLength);
            Scale(first, weights[w0], sum);
            for (int t = 1; t < down.Count[y]; t++)
                AddScaled(rows.AsSpan((down.Start[y] + t) * rowLength, rowLength), weights[w0 + t], sum);
            var output = destination.AsSpan(y * rowLength, rowLength);
            if (threshold)
                for (int i = 0; i < output.Length; i++) output[i] = sum[i] >= 0.5 - RoundingSlack ? (byte)1 : (byte)0;
            else
                for (int i = 0; i < output.Length; i++) output[i] = (byte)Math.Clamp((int)(sum[i] + (0.5 + RoundingSlack)), 0, 255);
        }
    }

    static void Scale(ReadOnlySpan<double> row, double w, Span<double> sum)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var rowVectors = MemoryMarshal.Cast<double, Vector<double>>(row);
            var sumVectors = MemoryMarshal.Cast<double, Vector<double>>(sum);
            for (int v = 0; v < rowVectors.Length; v++) sumVectors[v] = rowVectors[v] * w;
            i = rowVectors.Length * Vector<double>.Count;
        }
        for (; i < row.Length; i++) sum[i] = w * row[i];
    }

    static void AddScaled(ReadOnlySpan<double> row, double w, Span<double> sum)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var rowVectors = MemoryMarshal.Cast<double, Vector<double>>(row);
            var sumVectors = MemoryMarshal.Cast<double, Vector<double>>(sum);
            for (int v = 0; v < rowVectors.Length; v++) sumVectors[v] += rowVectors[v] * w;
            i = rowVectors.Length * Vector<double>.Count;
        }
        for (; i < row.Length; i++) sum[i] += w * row[i];
    }
}
