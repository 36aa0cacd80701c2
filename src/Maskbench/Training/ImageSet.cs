namespace Maskbench.Training;

/// <summary>
/// Labelled images with foreground masks held in memory in the dataset store's layout: images N x S x S x 3 bytes
/// (RGB interleaved, rows top to bottom), masks N x S x S bytes (0/1), labels int64. Training reads every image
/// many times, so it keeps the compact bytes and builds float batches (with augmentation) on demand.
/// </summary>
public sealed class ImageSet
{
    public ImageSet(int count, int imageSize, byte[] images, byte[] masks, long[] labels)
    {
        if (count < 0 || imageSize < 1) throw new ArgumentOutOfRangeException(nameof(count));
        if (images.Length != (long)count * imageSize * imageSize * 3) throw new ArgumentException($"expected {count}x{imageSize}x{imageSize}x3 image bytes, got {images.Length}", nameof(images));
        if (masks.Length != (long)count * imageSize * imageSize) throw new ArgumentException($"expected {count}x{imageSize}x{imageSize} mask bytes, got {masks.Length}", nameof(masks));
        if (labels.Length != count) throw new ArgumentException($"expected {count} labels, got {labels.Length}", nameof(labels));
        Count = count;
        ImageSize = imageSize;
        Images = images;
        Masks = masks;
        Labels = labels;
    }

    public int Count { get; }
    public int ImageSize { get; }
    public byte[] Images { get; }
    public byte[] Masks { get; }
    public long[] Labels { get; }
}
