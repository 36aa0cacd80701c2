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
/// Sums are kept in double precision and rounded once, to nearest with halves up.
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
        var across = ImageAxis(source.Width, width);
        var down = ImageAxis(source.Height, height);
        double[] rows = ResampleRows(source.Pixels, source.Width, source.Height, 3, across);
        var result = new RgbImage(width, height);
        ResampleColumns(rows, width * 3, down, result.Pixels, static v => (byte)Math.Clamp((int)Math.Floor(v + 0.5 + RoundingSlack), 0, 255));
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
        ResampleColumns(rows, width, down, result.Values, static coverage => coverage >= 0.5 - RoundingSlack ? (byte)1 : (byte)0);
        return result;
    }

    static void CheckSize(int width, int height)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"target size {width}x{height} must be positive");
        if ((long)width * height > RgbImage.MaxPixels)
            throw new ArgumentOutOfRangeException(nameof(width), $"target size {width}x{height} exceeds {RgbImage.MaxPixels} pixels");
    }

    static AxisWeights ImageAxis(int source, int target) =>
        target <= source ? AxisWeights.Area(source, target) : AxisWeights.Linear(source, target);

    static AxisWeights MaskAxis(int source, int target, MaskResizeMode mode) =>
        mode == MaskResizeMode.Threshold && target < source ? AxisWeights.Area(source, target) : AxisWeights.Nearest(source, target);

    /// <summary>Horizontal pass: every source row to <c>across.Length</c> output columns, in doubles.</summary>
    static double[] ResampleRows(byte[] source, int width, int height, int channels, AxisWeights across)
    {
        int outWidth = across.Length;
        double[] rows = new double[(long)height * outWidth * channels];
        double[] weights = across.Weights;
        for (int y = 0; y < height; y++)
        {
            int sourceRow = y * width * channels;
            int outRow = y * outWidth * channels;
            for (int x = 0; x < outWidth; x++)
            {
                int w0 = x * across.Stride, count = across.Count[x];
                int s0 = sourceRow + across.Start[x] * channels;
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

    /// <summary>Vertical pass: combines whole rows of the horizontal pass and converts each value once.</summary>
    static void ResampleColumns(double[] rows, int rowLength, AxisWeights down, byte[] destination, Func<double, byte> convert)
    {
        double[] accumulator = new double[rowLength];
        double[] weights = down.Weights;
        for (int y = 0; y < down.Length; y++)
        {
            Array.Clear(accumulator);
            int w0 = y * down.Stride;
            for (int t = 0; t < down.Count[y]; t++)
            {
                double w = weights[w0 + t];
                int r0 = (down.Start[y] + t) * rowLength;
                for (int i = 0; i < rowLength; i++) accumulator[i] += w * rows[r0 + i];
            }
            int d0 = y * rowLength;
            for (int i = 0; i < rowLength; i++) destination[d0 + i] = convert(accumulator[i]);
        }
    }
}
