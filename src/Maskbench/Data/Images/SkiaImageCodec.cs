using System.Buffers;
using System.Runtime.InteropServices;
using SkiaSharp;

namespace Maskbench.Data.Images;

/// <summary>The compressed formats written through SkiaSharp.</summary>
public enum CompressedFormat
{
    Png,
    Jpeg,
}

/// <summary>
/// JPEG and PNG through SkiaSharp's codecs (libjpeg-turbo and libpng inside Skia), always to 8-bit RGB.
/// <list type="bullet">
/// <item>Grayscale, palette, 16-bit and CMYK inputs are converted by Skia; alpha is dropped (the unpremultiplied
/// colour is kept, as OpenCV's IMREAD_COLOR does), so transparent pixels keep whatever colour the file stores.</item>
/// <item>No colour management: the destination has no colour space, so an embedded ICC profile is ignored and the
/// samples are the decoder's raw output, as libjpeg/OpenCV give them.</item>
/// <item>EXIF orientation is ignored on purpose: COCO's annotations refer to the stored pixel grid (pycocotools and
/// the COCO tools never rotate), so applying the tag would misalign masks.</item>
/// </list>
/// </summary>
public static class SkiaImageCodec
{
    public static RgbImage Read(string path)
    {
        if (!File.Exists(path)) throw new MaskbenchException($"{path}: file not found");
        using var codec = SKCodec.Create(path, out SKCodecResult created);
        if (codec is null)
            throw new DataFormatException(path, $"not a readable JPEG or PNG file (Skia: {Describe(created)})");
        return Decode(codec, path);
    }

    public static RgbImage Decode(byte[] bytes, string name)
    {
        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data);
        if (codec is null) throw new DataFormatException(name, "not a readable JPEG or PNG file");
        return Decode(codec, name);
    }

    static RgbImage Decode(SKCodec codec, string path)
    {
        // The codec has parsed only the header so far: refuse huge images before any pixel buffer exists.
        var size = codec.Info;
        if (size.Width <= 0 || size.Height <= 0)
            throw new DataFormatException(path, $"{codec.EncodedFormat} header gives an empty size {size.Width}x{size.Height}");
        long pixelCount = (long)size.Width * size.Height;
        if (pixelCount > RgbImage.MaxPixels)
            throw new DataFormatException(path,
                $"image is {size.Width}x{size.Height} = {pixelCount:N0} pixels, more than the {RgbImage.MaxPixels:N0} allowed", "header");

        var rgba = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        int rgbaBytes = checked(size.Width * size.Height * 4);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(rgbaBytes);
        try
        {
            SKCodecResult result;
            unsafe
            {
                fixed (byte* p = buffer) result = codec.GetPixels(rgba, (IntPtr)p);
            }
            if (result != SKCodecResult.Success)
                throw new DataFormatException(path, $"cannot decode the {codec.EncodedFormat} data: {Describe(result)}");
            var image = new RgbImage(size.Width, size.Height);
            byte[] rgb = image.Pixels;
            for (int i = 0, j = 0; j < rgb.Length; i += 4, j += 3)
            {
                rgb[j] = buffer[i];
                rgb[j + 1] = buffer[i + 1];
                rgb[j + 2] = buffer[i + 2];
            }
            return image;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    static string Describe(SKCodecResult result) => result switch
    {
        SKCodecResult.IncompleteInput => "the file is truncated (incomplete input)",
        SKCodecResult.ErrorInInput => "the compressed data is corrupt",
        SKCodecResult.InvalidInput => "invalid or unrecognised input",
        SKCodecResult.Unimplemented => "a feature of this file is not supported",
        _ => result.ToString(),
    };

    /// <summary>Encodes to PNG (lossless, RGB) or JPEG (baseline 4:2:0 at <paramref name="jpegQuality"/>).</summary>
    public static void Write(RgbImage image, Stream stream, CompressedFormat format, int jpegQuality = 95)
    {
        byte[] rgba = new byte[checked(image.Width * image.Height * 4)];
        byte[] rgb = image.Pixels;
        for (int i = 0, j = 0; j < rgb.Length; i += 4, j += 3)
        {
            rgba[i] = rgb[j];
            rgba[i + 1] = rgb[j + 1];
            rgba[i + 2] = rgb[j + 2];
            rgba[i + 3] = 255;
        }
        // Opaque tells the PNG encoder to write colour type 2 (RGB) without an alpha channel.
        Encode(new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Opaque), rgba, stream, format, jpegQuality);
    }

    /// <summary>Writes one byte per pixel as a grayscale PNG or JPEG (used for masks).</summary>
    public static void WriteGray(int width, int height, byte[] gray, Stream stream, CompressedFormat format, int jpegQuality = 95) =>
        Encode(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque), gray, stream, format, jpegQuality);

    static void Encode(SKImageInfo info, byte[] pixels, Stream stream, CompressedFormat format, int jpegQuality)
    {
        var handle = GCHandle.Alloc(pixels, GCHandleType.Pinned);
        try
        {
            using var pixmap = new SKPixmap(info, handle.AddrOfPinnedObject(), info.RowBytes);
            bool ok = format == CompressedFormat.Png
                ? pixmap.Encode(stream, SKPngEncoderOptions.Default)
                : pixmap.Encode(stream, new SKJpegEncoderOptions(jpegQuality));
            if (!ok) throw new MaskbenchException($"SkiaSharp could not encode a {info.Width}x{info.Height} image as {format}");
        }
        finally
        {
            handle.Free();
        }
    }
}
