namespace Maskbench.Data;

/// <summary>A foreground mask: one byte per pixel, 1 foreground and 0 background, rows top to bottom.</summary>
public sealed class BinaryMask
{
    public int Width { get; }
    public int Height { get; }
    public byte[] Values { get; }

    public BinaryMask(int width, int height, byte[]? values = null)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"mask size {width}x{height} must be positive");
        Width = width;
        Height = height;
        Values = values ?? new byte[checked(width * height)];
        if (Values.Length != width * height)
            throw new ArgumentException($"mask buffer has {Values.Length} bytes, expected {width * height}", nameof(values));
    }

    public byte this[int x, int y]
    {
        get => Values[y * Width + x];
        set => Values[y * Width + x] = value;
    }

    public long CountForeground()
    {
        long n = 0;
        foreach (byte v in Values) n += v != 0 ? 1 : 0;
        return n;
    }

    public double ForegroundFraction => (double)CountForeground() / Values.Length;
}
