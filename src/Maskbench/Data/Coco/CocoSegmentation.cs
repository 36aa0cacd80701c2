namespace Maskbench.Data.Coco;

public enum CocoSegmentationKind
{
    /// <summary>A list of polygons (x0, y0, x1, y1, ...): ordinary objects.</summary>
    Polygons,
    /// <summary><c>{"counts": [..], "size": [h, w]}</c>: how COCO stores crowd regions.</summary>
    UncompressedRle,
    /// <summary><c>{"counts": "...", "size": [h, w]}</c>: the COCO API's string form (results files, some datasets).</summary>
    CompressedRle,
}

/// <summary>
/// One annotation's <c>segmentation</c> as read from the JSON, stored compactly (flat coordinate arrays, counts as
/// uint, compressed strings as ASCII bytes) so that train2017's 860,000 objects fit comfortably in memory.
/// Decoding follows pycocotools' <c>COCO.annToRLE</c>: polygons through <c>frPyObjects</c> and <c>merge</c>.
/// </summary>
public sealed class CocoSegmentation
{
    public CocoSegmentationKind Kind { get; }
    /// <summary>All polygons' coordinates back to back (Polygons only).</summary>
    public double[] Coordinates { get; } = [];
    /// <summary>Number of coordinates (not points) of each polygon (Polygons only).</summary>
    public int[] PolygonLengths { get; } = [];
    /// <summary>Run lengths (UncompressedRle only).</summary>
    public uint[] Counts { get; } = [];
    /// <summary>The counts string's ASCII bytes (CompressedRle only).</summary>
    public byte[] CompressedCounts { get; } = [];
    /// <summary>The RLE's own <c>size</c> [h, w] (both RLE kinds; 0 for polygons).</summary>
    public int RleHeight { get; }
    public int RleWidth { get; }

    CocoSegmentation(CocoSegmentationKind kind, double[]? coordinates = null, int[]? lengths = null, uint[]? counts = null,
        byte[]? compressed = null, int h = 0, int w = 0)
    {
        Kind = kind;
        Coordinates = coordinates ?? [];
        PolygonLengths = lengths ?? [];
        Counts = counts ?? [];
        CompressedCounts = compressed ?? [];
        RleHeight = h;
        RleWidth = w;
    }

    public static CocoSegmentation FromPolygons(IReadOnlyList<double[]> polygons)
    {
        var lengths = polygons.Select(p => p.Length).ToArray();
        return new CocoSegmentation(CocoSegmentationKind.Polygons, polygons.SelectMany(p => p).ToArray(), lengths);
    }

    public static CocoSegmentation FromPolygons(double[] coordinates, int[] lengths) =>
        new(CocoSegmentationKind.Polygons, coordinates, lengths);

    public static CocoSegmentation FromUncompressed(int height, int width, uint[] counts) =>
        new(CocoSegmentationKind.UncompressedRle, counts: counts, h: height, w: width);

    public static CocoSegmentation FromCompressed(int height, int width, byte[] ascii) =>
        new(CocoSegmentationKind.CompressedRle, compressed: ascii, h: height, w: width);

    public bool IsRle => Kind != CocoSegmentationKind.Polygons;

    public ReadOnlySpan<double> Polygon(int index)
    {
        int start = 0;
        for (int i = 0; i < index; i++) start += PolygonLengths[i];
        return Coordinates.AsSpan(start, PolygonLengths[index]);
    }

    /// <summary>
    /// The object's mask as one RLE on an image of <paramref name="height"/> × <paramref name="width"/>
    /// (pycocotools <c>annToRLE</c>). Polygons are rasterized one by one and united. As in <c>frPyObjects</c>, when
    /// the first polygon has exactly four numbers the list is read as boxes [x, y, w, h].
    /// </summary>
    public Rle ToRle(int height, int width)
    {
        switch (Kind)
        {
            case CocoSegmentationKind.UncompressedRle:
                return new Rle(RleHeight, RleWidth, Counts);
            case CocoSegmentationKind.CompressedRle:
                return Rle.FromCompressedString(RleHeight, RleWidth, CompressedCounts);
        }
        if (PolygonLengths.Length == 0) return new Rle(height, width, [(uint)(height * width)]);
        bool boxes = PolygonLengths[0] == 4;
        var parts = new List<Rle>(PolygonLengths.Length);
        int start = 0;
        foreach (int length in PolygonLengths)
        {
            var p = Coordinates.AsSpan(start, length);
            start += length;
            if (boxes)
            {
                if (length != 4) throw new FormatException("segmentation mixes boxes (4 numbers) with polygons");
                parts.Add(PolygonRasterizer.FromBox(p[0], p[1], p[2], p[3], height, width));
            }
            else parts.Add(PolygonRasterizer.FromPolygon(p, height, width));
        }
        return RleMerge.Union(parts);
    }
}
