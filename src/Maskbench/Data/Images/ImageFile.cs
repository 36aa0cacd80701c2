using Maskbench.Files;
namespace Maskbench.Data.Images;

/// <summary>
/// Loads and saves images and masks by file. Loading looks at the first bytes (a `.jpg` that is really a PNG still
/// loads); saving picks the format from the extension: `.ppm` (P6), `.png`, `.jpg`/`.jpeg` (quality 95).
/// Saving writes a temporary file beside the target and renames it, so a reader never sees half a file.
/// </summary>
public static class ImageFile
{
    static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    public static RgbImage Load(string path)
    {
        if (!File.Exists(path)) throw new MaskbenchException($"{path}: file not found");
        Span<byte> head = stackalloc byte[8];
        int n;
        using (var probe = File.OpenRead(path)) n = probe.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        head = head[..n];
        if (n == 0) throw new DataFormatException(path, "the file is empty");
        if (n >= 2 && head[0] == 'P' && (head[1] == '6' || head[1] == '3')) return PpmCodec.Read(path);
        if (n >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF) return SkiaImageCodec.Read(path);
        if (head.SequenceEqual(PngSignature)) return SkiaImageCodec.Read(path);
        throw new DataFormatException(path,
            $"unrecognised image format (first bytes {Convert.ToHexString(head)}); expected PPM (P6 or P3), JPEG or PNG", "byte 0");
    }

    public static void Save(RgbImage image, string path)
    {
        string extension = Path.GetExtension(path).ToLowerInvariant();
        Action<Stream> write = extension switch
        {
            ".ppm" => s => PpmCodec.Write(image, s),
            ".png" => s => SkiaImageCodec.Write(image, s, CompressedFormat.Png),
            ".jpg" or ".jpeg" => s => SkiaImageCodec.Write(image, s, CompressedFormat.Jpeg),
            _ => throw new MaskbenchException($"{path}: cannot save images as '{extension}'; use .ppm, .png, .jpg or .jpeg"),
        };
        AtomicFile.Write(path, write);
    }

    /// <summary>Saves a mask as a grayscale PNG, foreground 255 and background 0, so it is visible in any viewer.</summary>
    public static void SaveMask(BinaryMask mask, string path)
    {
        if (!Path.GetExtension(path).Equals(".png", StringComparison.OrdinalIgnoreCase))
            throw new MaskbenchException($"{path}: masks are saved as .png (lossless)");
        byte[] gray = new byte[mask.Values.Length];
        for (int i = 0; i < gray.Length; i++) gray[i] = mask.Values[i] != 0 ? (byte)255 : (byte)0;
        AtomicFile.Write(path, s => SkiaImageCodec.WriteGray(mask.Width, mask.Height, gray, s, CompressedFormat.Png));
    }

    /// <summary>
    /// Loads a mask from any image file: a pixel is foreground when its brightest channel is at least 128, except
    /// that a file holding only the values 0 and 1 (masks saved as label maps) is taken as 0/1 directly.
    /// </summary>
    public static BinaryMask LoadMask(string path)
    {
        var image = Load(path);
        byte[] rgb = image.Pixels;
        byte[] brightest = new byte[image.Width * image.Height];
        byte max = 0;
        for (int i = 0, j = 0; i < brightest.Length; i++, j += 3)
        {
            byte v = Math.Max(rgb[j], Math.Max(rgb[j + 1], rgb[j + 2]));
            brightest[i] = v;
            if (v > max) max = v;
        }
        int threshold = max <= 1 ? 1 : 128;
        for (int i = 0; i < brightest.Length; i++) brightest[i] = brightest[i] >= threshold ? (byte)1 : (byte)0;
        return new BinaryMask(image.Width, image.Height, brightest);
    }

}
