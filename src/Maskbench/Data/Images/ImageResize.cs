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
/// take an integer path (weights as integers over a common denominator, precomputed per size pair; the vertical pass
/// and the rounding vectorized) whenever its sums fit in 32 bits, else sums kept in double precision; both give the
/// same bytes.
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
    /// The integer path: a horizontal pass to integer sums over the across denominator Dx, a vertical pass to sums S over
    /// D = Dx·Dy, and the rounding ⌊S/D + ½⌋ = ⌊(2S + D) / 2D⌋. The division is a double multiplication by 1/(2D) nudged up
    /// by 2^-40: an exact quotient k lands at or just above k, and a quotient below k is below by at least 1/(2D), which is
    /// far more than the nudge and rounding errors move it (256·2^-39 ≪ 1/(2D) for D below 2^22).
    /// </summary>
    internal static RgbImage ResizeExact(RgbImage source, AxisWeights across, AxisWeights down)
    {
        int width = across.Length, height = down.Length, sourceHeight = source.Height, sourceWidth = source.Width;
        int rowLength = width * 3;
        int[] rows = ArrayPool<int>.Shared.Rent(sourceHeight * rowLength);
        int[] sum = ArrayPool<int>.Shared.Rent(rowLength);
        try
        {
            HorizontalInIntegers(source.Pixels, sourceWidth, sourceHeight, across, rows);
            var result = new RgbImage(width, height);
            long denominator = (long)across.Denominator * down.Denominator;
            double scale = 1.0 / (2.0 * denominator) * (1 + Math.ScaleB(1.0, -40));
            var sums = sum.AsSpan(0, rowLength);
            int[] numerators = down.Numerators;
            for (int y = 0; y < height; y++)
            {
                int w0 = y * down.Stride, start = down.Start[y];
                ScaleRow(rows.AsSpan(start * rowLength, rowLength), numerators[w0], sums);
                for (int t = 1; t < down.Count[y]; t++)
                    AddScaledRow(rows.AsSpan((start + t) * rowLength, rowLength), numerators[w0 + t], sums);
                RoundRow(sums, (int)denominator, scale, result.Pixels.AsSpan(y * rowLength, rowLength));
            }
            return result;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(rows);
            ArrayPool<int>.Shared.Return(sum);
        }
    }

    static void HorizontalInIntegers(byte[] source, int width, int height, AxisWeights across, int[] rows)
    {
        int outWidth = across.Length, stride = across.Stride, rowLength = outWidth * 3;
        int[] numerators = across.Numerators, starts = across.Start, counts = across.Count;
        for (int y = 0; y < height; y++)
        {
            int sourceRow = y * width * 3, outRow = y * rowLength;
            for (int x = 0; x < outWidth; x++)
            {
                int w0 = x * stride, count = counts[x], s = sourceRow + starts[x] * 3;
                int r, g, b;
                if (count == 2)
                {
                    int wa = numerators[w0], wb = numerators[w0 + 1];
                    r = wa * source[s] + wb * source[s + 3];
                    g = wa * source[s + 1] + wb * source[s + 4];
                    b = wa * source[s + 2] + wb * source[s + 5];
                }
                else
                {
                    r = g = b = 0;
                    for (int t = 0; t < count; t++, s += 3)
                    {
                        int w = numerators[w0 + t];
                        r += w * source[s];
                        g += w * source[s + 1];
                        b += w * source[s + 2];
                    }
                }
                int o = outRow + x * 3;
                rows[o] = r;
                rows[o + 1] = g;
                rows[o + 2] = b;
            }
        }
    }

    static void ScaleRow(ReadOnlySpan<int> row, int w, Span<int> sum)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var weight = Vector256.Create(w);
            for (; i + 8 <= row.Length; i += 8) (Vector256.Create(row.Slice(i, 8)) * weight).CopyTo(sum.Slice(i, 8));
        }
        for (; i < row.Length; i++) sum[i] = w * row[i];
    }

    static void AddScaledRow(ReadOnlySpan<int> row, int w, Span<int> sum)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var weight = Vector256.Create(w);
            for (; i + 8 <= row.Length; i += 8)
                (Vector256.Create((ReadOnlySpan<int>)sum.Slice(i, 8)) + Vector256.Create(row.Slice(i, 8)) * weight).CopyTo(sum.Slice(i, 8));
        }
        for (; i < row.Length; i++) sum[i] += w * row[i];
    }

    static void RoundRow(ReadOnlySpan<int> sums, int denominator, double scale, Span<byte> output)
    {
        int i = 0;
        if (Avx.IsSupported)
        {
            var d = Vector128.Create(denominator);
            var s = Vector256.Create(scale);
            for (; i + 4 <= sums.Length; i += 4)
            {
                var n = Vector128.Create(sums.Slice(i, 4)) * 2 + d;                    // 2S + D, below 2^31
                var q = Avx.ConvertToVector128Int32WithTruncation(Avx.RoundToNegativeInfinity(Avx.Multiply(Avx.ConvertToVector256Double(n), s)));
                output[i] = (byte)q.GetElement(0);
                output[i + 1] = (byte)q.GetElement(1);
                output[i + 2] = (byte)q.GetElement(2);
                output[i + 3] = (byte)q.GetElement(3);
            }
        }
        for (; i < sums.Length; i++) output[i] = (byte)(int)Math.Floor((2.0 * sums[i] + denominator) * scale);
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
