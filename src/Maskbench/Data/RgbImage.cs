namespace Maskbench.Data;

/// <summary>An 8-bit RGB image, rows top to bottom, pixels interleaved R,G,B (the layout of PPM P6 and of images.npy).</summary>
public sealed class RgbImage
{
    /// <summary>Larger images are refused as corrupt or hostile input.</summary>
    public const long MaxPixels = 100_000_000;

    public int Width { get; }
    public int Height { get; }
    public byte[] Pixels { get; }

    public RgbImage(int width, int height, byte[]? pixels = null)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"image size {width}x{height} must be positive");
        if ((long)width * height > MaxPixels) throw new ArgumentOutOfRangeException(nameof(width),
            $"image size {width}x{height} exceeds {MaxPixels} pixels");
        Width = width;
        Height = height;
        Pixels = pixels ?? new byte[checked(width * height * 3)];
        if (Pixels.Length != width * height * 3)
            throw new ArgumentException($"pixel buffer has {Pixels.Length} bytes, expected {width * height * 3}", nameof(pixels));
    }

    public int Offset(int x, int y) => (y * Width + x) * 3;

    public (byte R, byte G, byte B) this[int x, int y]
    {
        get { int o = Offset(x, y); return (Pixels[o], Pixels[o + 1], Pixels[o + 2]); }
        set { int o = Offset(x, y); Pixels[o] = value.R; Pixels[o + 1] = value.G; Pixels[o + 2] = value.B; }
    }
}
