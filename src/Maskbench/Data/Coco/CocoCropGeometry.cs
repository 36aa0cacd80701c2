namespace Maskbench.Data.Coco;

/// <summary>
/// Where the square crop around one object goes (paper §"Dataset Creation", MS-COCO: "we adjust the crop
/// dimensions in order to extract square image patches"): the box's shorter side is grown on both sides to the
/// longer one (the odd pixel goes after), then the square is shifted to lie inside the image. When the image is
/// narrower (or lower) than the square, the square stays centred on the object as far as it can while still
/// covering the whole image along that axis; the part outside the image is zero padding.
/// </summary>
public static class CocoCropGeometry
{
    public readonly record struct Square(int X, int Y, int Side);

    public static Square Around(MaskBox box, int imageWidth, int imageHeight)
    {
        if (box.IsEmpty) throw new ArgumentException("an empty box has no crop", nameof(box));
        int side = Math.Max(box.Width, box.Height);
        int x = Place(box.X - (side - box.Width) / 2, side, imageWidth);
        int y = Place(box.Y - (side - box.Height) / 2, side, imageHeight);
        return new Square(x, y, side);
    }

    static int Place(int start, int side, int extent)
    {
        // Inside the image when it fits: start in [0, extent - side]. Otherwise cover the whole extent: start in [extent - side, 0].
        int low = Math.Min(0, extent - side), high = Math.Max(0, extent - side);
        return Math.Clamp(start, low, high);
    }
}
