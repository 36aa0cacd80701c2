using System.Text.Json;

namespace Maskbench.Data.Coco;

enum CocoSection { None, Images, Categories, Annotations }

/// <summary>
/// Parses one complete record (the bytes of one object of "images", "categories" or "annotations") and, once
/// the whole file is read, checks the records against each other. Problems are collected while a record is read
/// so that the error can name the record's id even when the id comes after the faulty field.
/// </summary>
sealed class CocoRecordParser(string filePath)
{
    public string FilePath { get; } = filePath;

    readonly List<CocoImage> images = [];
    readonly List<CocoCategory> categories = [];
    readonly List<CocoAnnotation> annotations = [];
    // Scratch lists reused across records (polygons and counts of one annotation).
    readonly List<double> coordinates = [];
    readonly List<int> polygonLengths = [];
    readonly List<uint> counts = [];

    public static CocoSection SectionOf(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("images"u8) ? CocoSection.Images
        : reader.ValueTextEquals("annotations"u8) ? CocoSection.Annotations
        : reader.ValueTextEquals("categories"u8) ? CocoSection.Categories
        : CocoSection.None;

    public static string SectionName(CocoSection s) => s.ToString().ToLowerInvariant();

    /// <summary>
    /// Parses the record whose StartObject <paramref name="reader"/> is on. Throws <see cref="NeedMoreData"/> when
    /// the buffer ends inside the record: the caller rewinds to the record's start, reads more and calls again
    /// (records are added only once complete, so a retry has no side effects).
    /// </summary>
    public void Parse(CocoSection section, ref Utf8JsonReader reader, long offset)
    {
        switch (section)
        {
            case CocoSection.Images: ParseImage(ref reader, offset); break;
            case CocoSection.Categories: ParseCategory(ref reader, offset); break;
            case CocoSection.Annotations: ParseAnnotation(ref reader, offset); break;
        }
    }

    void ParseImage(ref Utf8JsonReader reader, long offset)
    {
        long? id = null;
        int? width = null, height = null;
        string? fileName = null, problem = null;
        while (Next(ref reader) && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8)) id = ReadInt64(ref reader, "id", ref problem);
            else if (reader.ValueTextEquals("file_name"u8)) fileName = ReadString(ref reader, "file_name", ref problem);
            else if (reader.ValueTextEquals("width"u8)) width = ReadInt32(ref reader, "width", ref problem);
            else if (reader.ValueTextEquals("height"u8)) height = ReadInt32(ref reader, "height", ref problem);
            else SkipValue(ref reader);
        }
        string where = id is null ? $"image at byte {offset}" : $"image id {id}";
        if (problem is null && (id is null || fileName is null || width is null || height is null))
            problem = Missing(("id", id is null), ("file_name", fileName is null), ("width", width is null), ("height", height is null));
        if (problem is null && (width <= 0 || height <= 0)) problem = $"image size {width}x{height} must be positive";
        // Masks are arrays of width x height bytes and RLE counts are 32-bit: larger images cannot be represented.
        if (problem is null && (long)width!.Value * height!.Value > MaxPixels)
            problem = $"image size {width}x{height} has {(long)width.Value * height.Value:N0} pixels; at most {MaxPixels:N0} "
                + $"({MaxPixels / 1_000_000:N0} megapixels) are supported";
        if (problem is null) problem = CocoFileNames.Problem(fileName!);
        if (problem is not null) throw new DataFormatException(FilePath, problem, where);
        images.Add(new CocoImage(id!.Value, fileName!, width!.Value, height!.Value));
    }

    void ParseCategory(ref Utf8JsonReader reader, long offset)
    {
        int? id = null;
        string? name = null, supercategory = null, problem = null;
        while (Next(ref reader) && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8)) id = ReadInt32(ref reader, "id", ref problem);
            else if (reader.ValueTextEquals("name"u8)) name = ReadString(ref reader, "name", ref problem);
            else if (reader.ValueTextEquals("supercategory"u8)) supercategory = ReadString(ref reader, "supercategory", ref problem);
            else SkipValue(ref reader);
        }
        if (problem is null && (id is null || name is null)) problem = Missing(("id", id is null), ("name", name is null));
        if (problem is not null) throw new DataFormatException(FilePath, problem, id is null ? $"category at byte {offset}" : $"category id {id}");
        categories.Add(new CocoCategory(id!.Value, name!, supercategory ?? ""));
    }

    void ParseAnnotation(ref Utf8JsonReader reader, long offset)
    {
        long? id = null, imageId = null;
        int? categoryId = null;
        bool crowd = false;
        double area = 0;
        double[] bbox = [];
        CocoSegmentation? segmentation = null;
        string? problem = null;
        while (Next(ref reader) && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8)) id = ReadInt64(ref reader, "id", ref problem);
            else if (reader.ValueTextEquals("image_id"u8)) imageId = ReadInt64(ref reader, "image_id", ref problem);
            else if (reader.ValueTextEquals("category_id"u8)) categoryId = ReadInt32(ref reader, "category_id", ref problem);
            else if (reader.ValueTextEquals("iscrowd"u8)) crowd = ReadCrowd(ref reader, ref problem);
            else if (reader.ValueTextEquals("area"u8)) area = ReadDouble(ref reader, "area", ref problem) ?? 0;
            else if (reader.ValueTextEquals("bbox"u8)) bbox = ReadNumbers(ref reader, "bbox", ref problem);
            else if (reader.ValueTextEquals("segmentation"u8)) segmentation = ReadSegmentation(ref reader, ref problem);
            else SkipValue(ref reader);
        }
        if (problem is null && (id is null || imageId is null || categoryId is null || segmentation is null))
            problem = Missing(("id", id is null), ("image_id", imageId is null), ("category_id", categoryId is null),
                ("segmentation", segmentation is null));
        if (problem is null && bbox.Length is not (0 or 4)) problem = $"bbox has {bbox.Length} numbers, expected 4";
        if (problem is not null) throw new DataFormatException(FilePath, problem,
            id is null ? $"annotation at byte {offset}" : $"annotation id {id}");
        annotations.Add(new CocoAnnotation
        {
            Id = id!.Value, ImageId = imageId!.Value, CategoryId = categoryId!.Value, IsCrowd = crowd,
            Area = area, Bbox = bbox, Segmentation = segmentation!,
        });
    }

    CocoSegmentation? ReadSegmentation(ref Utf8JsonReader reader, ref string? problem)
    {
        Next(ref reader);
        if (reader.TokenType == JsonTokenType.StartArray) return ReadPolygons(ref reader, ref problem);
        if (reader.TokenType == JsonTokenType.StartObject) return ReadRle(ref reader, ref problem);
        problem ??= $"segmentation is a {reader.TokenType}; expected a list of polygons or an RLE object";
        SkipValue(ref reader);
        return null;
    }

    CocoSegmentation? ReadPolygons(ref Utf8JsonReader reader, ref string? problem)
    {
        coordinates.Clear();
        polygonLengths.Clear();
        while (Next(ref reader) && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartArray)
            {
                problem ??= $"segmentation polygon is a {reader.TokenType}; expected a list of numbers";
                SkipValue(ref reader);
                continue;
            }
            int before = coordinates.Count;
            while (Next(ref reader) && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType == JsonTokenType.Number) coordinates.Add(JsonNumbers.ToDouble(ref reader));
                else { problem ??= $"segmentation polygon holds a {reader.TokenType}; expected numbers"; SkipValue(ref reader); }
            }
            polygonLengths.Add(coordinates.Count - before);
        }
        if (polygonLengths.Count == 0) { problem ??= "segmentation is an empty list of polygons"; return null; }
        return CocoSegmentation.FromPolygons(coordinates.ToArray(), polygonLengths.ToArray());
    }

    CocoSegmentation? ReadRle(ref Utf8JsonReader reader, ref string? problem)
    {
        double[]? size = null;
        byte[]? compressed = null;
        uint[]? uncompressed = null;
        while (Next(ref reader) && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("size"u8)) size = ReadNumbers(ref reader, "segmentation size", ref problem);
            else if (reader.ValueTextEquals("counts"u8))
            {
                Next(ref reader);
                if (reader.TokenType == JsonTokenType.String)
                {
                    // The string form uses characters '0'..'o', among them '\', which JSON escapes.
                    var bytes = new byte[reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length];
                    int n = reader.CopyString(bytes);
                    compressed = n == bytes.Length ? bytes : bytes[..n];
                }
                else if (reader.TokenType == JsonTokenType.StartArray)
                {
                    counts.Clear();
                    while (Next(ref reader) && reader.TokenType != JsonTokenType.EndArray)
                    {
                        if (reader.TokenType == JsonTokenType.Number && reader.TryGetUInt32(out uint c)) counts.Add(c);
                        else { problem ??= "RLE counts must be non-negative integers"; SkipValue(ref reader); }
                    }
                    uncompressed = counts.ToArray();
                }
                else { problem ??= $"RLE counts is a {reader.TokenType}; expected a string or a list"; SkipValue(ref reader); }
            }
            else SkipValue(ref reader);
        }
        if (size is null || (compressed is null && uncompressed is null)) { problem ??=
            "RLE segmentation needs both \"counts\" and \"size\""; return null; }
        if (size.Length != 2 || size[0] < 0 || size[1] < 0 || size[0] != Math.Floor(size[0]) || size[1] != Math.Floor(size[1]) || size[0]
            * size[1] > RgbImage.MaxPixels)
        { problem ??= $"RLE size [{string.Join(", ", size)}] is not [height, width]"; return null; }
        int h = (int)size[0], w = (int)size[1];
        return compressed is not null ? CocoSegmentation.FromCompressed(h, w, compressed) : CocoSegmentation.FromUncompressed(h, w, uncompressed!);
    }

    /// <summary>Thrown (one shared instance) when the buffer ends inside a record.</summary>
    public sealed class NeedMoreData : Exception
    {
        public static readonly NeedMoreData Instance = new();
    }

    static bool Next(ref Utf8JsonReader reader)
    {
        if (!reader.Read()) throw NeedMoreData.Instance;
        return true;
    }

    static void SkipValue(ref Utf8JsonReader reader)
    {
        if (!reader.TrySkip()) throw NeedMoreData.Instance;
    }

    static long? ReadInt64(ref Utf8JsonReader reader, string field, ref string? problem)
    {
        Next(ref reader);
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out long v)) return v;
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out double d) && d == Math.Floor(d) && Math.Abs(d) < 9e15) return (long)d;
        problem ??= $"\"{field}\" must be an integer";
        SkipValue(ref reader);
        return null;
    }

    static int? ReadInt32(ref Utf8JsonReader reader, string field, ref string? problem)
    {
        long? v = ReadInt64(ref reader, field, ref problem);
        if (v is null) return null;
        if (v is < int.MinValue or > int.MaxValue) { problem ??= $"\"{field}\" {v} is out of range"; return null; }
        return (int)v.Value;
    }

    static double? ReadDouble(ref Utf8JsonReader reader, string field, ref string? problem)
    {
        Next(ref reader);
        if (reader.TokenType == JsonTokenType.Number) return reader.GetDouble();
        problem ??= $"\"{field}\" must be a number";
        SkipValue(ref reader);
        return null;
    }

    static string? ReadString(ref Utf8JsonReader reader, string field, ref string? problem)
    {
        Next(ref reader);
        if (reader.TokenType == JsonTokenType.String) return reader.GetString();
        problem ??= $"\"{field}\" must be a string";
        SkipValue(ref reader);
        return null;
    }

    static bool ReadCrowd(ref Utf8JsonReader reader, ref string? problem)
    {
        Next(ref reader);
        switch (reader.TokenType)
        {
            case JsonTokenType.True: return true;
            case JsonTokenType.False: return false;
            case JsonTokenType.Number when reader.TryGetInt32(out int v) && v is 0 or 1: return v == 1;
        }
        problem ??= "\"iscrowd\" must be 0 or 1";
        SkipValue(ref reader);
        return false;
    }

    static double[] ReadNumbers(ref Utf8JsonReader reader, string field, ref string? problem)
    {
        Next(ref reader);
        if (reader.TokenType != JsonTokenType.StartArray) { problem ??= $"\"{field}\" must be a list of numbers"; SkipValue(ref reader); return []; }
        var values = new List<double>(4);
        while (Next(ref reader) && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.Number) values.Add(reader.GetDouble());
            else { problem ??= $"\"{field}\" must be a list of numbers"; SkipValue(ref reader); }
        }
        return values.ToArray();
    }

    static string Missing(params (string Name, bool Absent)[] fields) =>
        "missing " + string.Join(", ", fields.Where(f => f.Absent).Select(f => $"\"{f.Name}\""));

    /// <summary>The largest image (in pixels) whose masks fit in one array: 2^31 - 1 bytes.</summary>
    public const long MaxPixels = int.MaxValue;

    /// <summary>
    /// How far outside the image a polygon vertex may lie, in image sizes. COCO polygons stray a pixel or two past the
    /// border; a vertex at 1e30 is a broken file, and rasterizing it would walk an edge of astronomically many steps.
    /// </summary>
    const double PolygonSlack = 1.0;

    static string? PolygonProblem(CocoSegmentation s, CocoImage image)
    {
        var xy = s.Coordinates;
        int start = 0;
        for (int p = 0; p < s.PolygonLengths.Length; start += s.PolygonLengths[p], p++)
            for (int j = 0; j < s.PolygonLengths[p]; j++)
            {
                double v = xy[start + j], size = j % 2 == 0 ? image.Width : image.Height;
                if (!(v >= -PolygonSlack * size && v <= (1 + PolygonSlack) * size))
                    return $"polygon {p} coordinate {(j % 2 == 0 ? "x" : "y")} = "
                        + $"{v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)} "
                        + $"lies far outside the {image.Width}x{image.Height} image (allowed {-PolygonSlack * size} to {(1 + PolygonSlack) * size})";
            }
        return null;
    }

    /// <summary>Cross-checks the records and builds the look-ups.</summary>
    public CocoAnnotations Index()
    {
        var imagesById = new Dictionary<long, CocoImage>(images.Count);
        foreach (var image in images)
            if (!imagesById.TryAdd(image.Id, image)) throw new DataFormatException(FilePath, "the image id appears twice", $"image id {image.Id}");
        var categoriesById = new Dictionary<int, CocoCategory>();
        foreach (var category in categories)
            if (!categoriesById.TryAdd(category.Id, category)) throw new DataFormatException(FilePath, "the category id appears twice",
                $"category id {category.Id}");
        var annotationIds = new HashSet<long>(annotations.Count);
        foreach (var a in annotations)
        {
            if (!annotationIds.Add(a.Id)) throw new DataFormatException(FilePath, "the annotation id appears twice", $"annotation id {a.Id}");
            if (!imagesById.TryGetValue(a.ImageId, out var image))
                throw new DataFormatException(FilePath, $"image_id {a.ImageId} is not among the file's {images.Count} images",
                    $"annotation id {a.Id}");
            if (!categoriesById.ContainsKey(a.CategoryId))
                throw new DataFormatException(FilePath, $"category_id {a.CategoryId} is not among the file's categories "
                    + $"({string.Join(", ", categoriesById.Keys.Order())})", $"annotation id {a.Id}");
            var s = a.Segmentation;
            if (!s.IsRle)
            {
                if (PolygonProblem(s, image) is string polygonProblem) throw new DataFormatException(FilePath, polygonProblem,
                    $"annotation id {a.Id}");
                continue;
            }
            if (s.RleHeight != image.Height || s.RleWidth != image.Width)
                throw new DataFormatException(FilePath, $"RLE size [{s.RleHeight}, {s.RleWidth}] (height, width) disagrees with image {image.Id}, "
                    + $"which is {image.Height} high and {image.Width} wide", $"annotation id {a.Id}");
            if (s.Kind == CocoSegmentationKind.UncompressedRle)
            {
                string? problem = new Rle(s.RleHeight, s.RleWidth, s.Counts).Validate();
                if (problem is not null) throw new DataFormatException(FilePath, problem, $"annotation id {a.Id}");
            }
        }
        return new CocoAnnotations(FilePath, images, categories, annotations, imagesById, categoriesById);
    }
}
