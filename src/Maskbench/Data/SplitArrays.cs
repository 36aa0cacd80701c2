namespace Maskbench.Data;

/// <summary>One split held in memory in the store's layout: images N×S×S×3 (RGB), masks N×S×S (0/1), labels N.</summary>
public sealed class SplitArrays
{
    public int Count { get; }
    public int ImageSize { get; }
    public byte[] Images { get; }
    public byte[] Masks { get; }
    public long[] Labels { get; }

    public SplitArrays(int count, int imageSize)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count));
        if (imageSize <= 0) throw new ArgumentOutOfRangeException(nameof(imageSize));
        Count = count;
        ImageSize = imageSize;
        Images = new byte[checked((long)count * imageSize * imageSize * 3)];
        Masks = new byte[checked((long)count * imageSize * imageSize)];
        Labels = new long[count];
    }

    SplitArrays(int count, int imageSize, byte[] images, byte[] masks, long[] labels)
    {
        Count = count;
        ImageSize = imageSize;
        Images = images;
        Masks = masks;
        Labels = labels;
    }

    public int PixelsPerImage => ImageSize * ImageSize;

    /// <summary>The same images and labels (shared, not copied) with other masks; this instance is unchanged.</summary>
    public SplitArrays WithMasks(byte[] masks)
    {
        if (masks.Length != Masks.Length) throw new ArgumentException($"expected {Masks.Length} mask bytes, got {masks.Length}", nameof(masks));
        return new SplitArrays(Count, ImageSize, Images, masks, Labels);
    }

    public void Set(int index, RgbImage image, BinaryMask mask, long label)
    {
        if (image.Width != ImageSize || image.Height != ImageSize || mask.Width != ImageSize || mask.Height != ImageSize)
            throw new ArgumentException($"sample {index}: image {image.Width}x{image.Height} and mask {mask.Width}x{mask.Height} must both be "
                + $"{ImageSize}x{ImageSize}");
        image.Pixels.CopyTo(Images, (long)index * PixelsPerImage * 3);
        for (int i = 0; i < mask.Values.Length; i++) Masks[(long)index * PixelsPerImage + i] = mask.Values[i] != 0 ? (byte)1 : (byte)0;
        Labels[index] = label;
    }

    public RgbImage Image(int index) =>
        new(ImageSize, ImageSize, Images.AsSpan(index * PixelsPerImage * 3, PixelsPerImage * 3).ToArray());

    public BinaryMask Mask(int index) =>
        new(ImageSize, ImageSize, Masks.AsSpan(index * PixelsPerImage, PixelsPerImage).ToArray());

    /// <summary>A new SplitArrays holding the given rows, in order.</summary>
    public SplitArrays Select(IReadOnlyList<int> rows)
    {
        var s = new SplitArrays(rows.Count, ImageSize);
        for (int i = 0; i < rows.Count; i++)
        {
            Images.AsSpan(rows[i] * PixelsPerImage * 3, PixelsPerImage * 3).CopyTo(s.Images.AsSpan(i * PixelsPerImage * 3));
            Masks.AsSpan(rows[i] * PixelsPerImage, PixelsPerImage).CopyTo(s.Masks.AsSpan(i * PixelsPerImage));
            s.Labels[i] = Labels[rows[i]];
        }
        return s;
    }
}
