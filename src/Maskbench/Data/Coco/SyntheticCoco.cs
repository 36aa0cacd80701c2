using System.Text.Json;
using Maskbench.Data.Images;
using Maskbench.Files;

namespace Maskbench.Data.Coco;

/// <summary>
/// A small COCO-style dataset for tests and the demo: JPEG scenes with several overlapping objects of several
/// categories (person included) and an instances JSON in the official layout that uses all three segmentation
/// forms: polygons (some objects in two parts), crowd regions as uncompressed RLE, and a few objects as
/// compressed RLE strings. Objects are painted with the COCO API's own rasterization of their annotation, so
/// image and masks agree; later objects occlude earlier ones. Same seed, same bytes.
/// </summary>
public static class SyntheticCoco
{
    public const string AnnotationFile = "annotations/instances_synthetic.json";
    public const string ImageFolder = "images";

    /// <summary>COCO's own ids and names for the categories used (ids are not contiguous in COCO either).</summary>
    static readonly (int Id, string Name, string Super, (byte, byte, byte) Colour)[] Categories =
    [
        (1, "person", "person", (220, 170, 140)),
        (3, "car", "vehicle", (40, 80, 200)),
        (18, "dog", "animal", (150, 100, 50)),
        (44, "bottle", "kitchen", (40, 170, 60)),
        (62, "chair", "furniture", (200, 60, 60)),
    ];

    sealed record Object(int CategoryId, List<double[]> Polygons, bool Compressed);

    public static void Write(string folder, int imageCount, int seed)
    {
        if (imageCount <= 0) throw new MaskbenchException($"--images {imageCount} must be positive");
        var random = new Random(seed);
        Directory.CreateDirectory(Path.Combine(folder, ImageFolder));
        Directory.CreateDirectory(Path.Combine(folder, "annotations"));
        long annotationId = 1;
        AtomicFile.Write(Path.Combine(folder, AnnotationFile), stream =>
        {
            using var json = new Utf8JsonWriter(stream);
            json.WriteStartObject();
            json.WriteStartObject("info");
            json.WriteString("description", $"Maskbench synthetic COCO, seed {seed}");
            json.WriteEndObject();
            json.WriteStartArray("licenses");
            json.WriteEndArray();
            var images = new List<(long Id, string File, int W, int H)>();
            json.WriteStartArray("annotations");
            for (int i = 0; i < imageCount; i++)
            {
                long imageId = 1000 + i;
                int w = random.Next(96, 161), h = random.Next(80, 141);
                string file = $"{imageId:D12}.jpg";
                images.Add((imageId, file, w, h));
                var image = Background(random, w, h);
                foreach (var (segmentation, categoryId, crowd) in Scene(random, w, h))
                {
                    var rle = segmentation.ToRle(h, w);
                    Paint(image, rle, Categories.First(c => c.Id == categoryId).Colour, random);
                    WriteAnnotation(json, annotationId++, imageId, categoryId, crowd, segmentation, rle);
                }
                ImageFile.Save(image, Path.Combine(folder, ImageFolder, file));
            }
            json.WriteEndArray();
            json.WriteStartArray("images");
            foreach (var (id, file, w, h) in images)
            {
                json.WriteStartObject();
                json.WriteNumber("id", id);
                json.WriteString("file_name", file);
                json.WriteNumber("width", w);
                json.WriteNumber("height", h);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteStartArray("categories");
            foreach (var c in Categories)
            {
                json.WriteStartObject();
                json.WriteString("supercategory", c.Super);
                json.WriteNumber("id", c.Id);
                json.WriteString("name", c.Name);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        });
    }

    /// <summary>2–6 objects per image, a crowd of people in about a third of the images.</summary>
    static IEnumerable<(CocoSegmentation Segmentation, int CategoryId, bool Crowd)> Scene(Random random, int w, int h)
    {
        if (random.Next(3) == 0)
        {
            // A crowd region: several small blobs merged into one uncompressed RLE, as COCO stores crowds.
            var blobs = Enumerable.Range(0, random.Next(3, 7)).Select(_ => PolygonRasterizer.FromPolygon(Blob(random, w, h, 0.06, 0.12), h, w))
                .ToList();
            var crowd = RleMerge.Union(blobs);
            yield return (CocoSegmentation.FromUncompressed(h, w, crowd.Counts), 1, true);
        }
        int objects = random.Next(2, 7);
        for (int k = 0; k < objects; k++)
        {
            int categoryId = Categories[random.Next(Categories.Length)].Id;
            var polygons = new List<double[]> { Blob(random, w, h, 0.12, 0.3) };
            if (random.Next(5) == 0) polygons.Add(Blob(random, w, h, 0.06, 0.12)); // an object seen in two parts
            var segmentation = CocoSegmentation.FromPolygons(polygons);
            if (random.Next(6) == 0)
            {
                var rle = segmentation.ToRle(h, w);
                segmentation = CocoSegmentation.FromCompressed(h, w, System.Text.Encoding.ASCII.GetBytes(rle.ToCompressedString()));
            }
            yield return (segmentation, categoryId, false);
        }
    }

    /// <summary>A star-shaped polygon: random radii around a centre, coordinates rounded to 0.01 as in COCO.</summary>
    static double[] Blob(Random random, int w, int h, double minRadius, double maxRadius)
    {
        double cx = random.NextDouble() * w, cy = random.NextDouble() * h;
        double r = Math.Min(w, h) * (minRadius + random.NextDouble() * (maxRadius - minRadius));
        int n = random.Next(5, 13);
        var xy = new double[2 * n];
        for (int i = 0; i < n; i++)
        {
            double angle = 2 * Math.PI * i / n, radius = r * (0.6 + 0.4 * random.NextDouble());
            xy[2 * i] = Math.Round(Math.Clamp(cx + radius * Math.Cos(angle), 0, w), 2);
            xy[2 * i + 1] = Math.Round(Math.Clamp(cy + radius * Math.Sin(angle), 0, h), 2);
        }
        return xy;
    }

    static RgbImage Background(Random random, int w, int h)
    {
        var image = new RgbImage(w, h);
        int r0 = random.Next(60, 200), g0 = random.Next(60, 200), b0 = random.Next(60, 200);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                image[x, y] = ((byte)Math.Clamp(r0 + x / 3 - 20, 0, 255), (byte)Math.Clamp(g0 + y / 3 - 20, 0, 255), (byte)b0);
        return image;
    }

    static void Paint(RgbImage image, Rle rle, (byte R, byte G, byte B) colour, Random random)
    {
        var mask = rle.ToMask();
        int shade = random.Next(-30, 31);
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
                if (mask[x, y] != 0)
                    image[x, y] = ((byte)Math.Clamp(colour.R + shade + ((x + y) % 7) * 3, 0, 255), (byte)Math.Clamp(colour.G + shade, 0, 255),
                        (byte)Math.Clamp(colour.B + shade, 0, 255));
    }

    static void WriteAnnotation(Utf8JsonWriter json, long id, long imageId, int categoryId, bool crowd, CocoSegmentation s, Rle rle)
    {
        json.WriteStartObject();
        json.WriteNumber("id", id);
        json.WriteNumber("image_id", imageId);
        json.WriteNumber("category_id", categoryId);
        json.WritePropertyName("segmentation");
        switch (s.Kind)
        {
            case CocoSegmentationKind.Polygons:
                json.WriteStartArray();
                for (int p = 0; p < s.PolygonLengths.Length; p++)
                {
                    json.WriteStartArray();
                    foreach (double v in s.Polygon(p)) json.WriteNumberValue(v);
                    json.WriteEndArray();
                }
                json.WriteEndArray();
                break;
            case CocoSegmentationKind.UncompressedRle:
                json.WriteStartObject();
                json.WriteStartArray("counts");
                foreach (uint c in s.Counts) json.WriteNumberValue(c);
                json.WriteEndArray();
                WriteSize(json, s);
                json.WriteEndObject();
                break;
            default:
                json.WriteStartObject();
                WriteSize(json, s);
                json.WriteString("counts", System.Text.Encoding.ASCII.GetString(s.CompressedCounts));
                json.WriteEndObject();
                break;
        }
        // As in COCO: polygon objects carry the polygons' geometric area and extent, RLE ones the mask's.
        double area = s.Kind == CocoSegmentationKind.Polygons ? Enumerable.Range(0, s.PolygonLengths.Length)
            .Sum(p => ShoelaceArea(s.Polygon(p))) : rle.Area;
        json.WriteNumber("area", Math.Round(area, 2));
        json.WriteStartArray("bbox");
        foreach (double v in s.Kind == CocoSegmentationKind.Polygons ? PolygonBox(s.Coordinates) : BoxOf(rle)) json.WriteNumberValue(v);
        json.WriteEndArray();
        json.WriteNumber("iscrowd", crowd ? 1 : 0);
        json.WriteEndObject();
    }

    static void WriteSize(Utf8JsonWriter json, CocoSegmentation s)
    {
        json.WriteStartArray("size");
        json.WriteNumberValue(s.RleHeight);
        json.WriteNumberValue(s.RleWidth);
        json.WriteEndArray();
    }

    static double ShoelaceArea(ReadOnlySpan<double> xy)
    {
        double sum = 0;
        int n = xy.Length / 2;
        for (int i = 0; i < n; i++)
        {
            int j = (i + 1) % n;
            sum += xy[2 * i] * xy[2 * j + 1] - xy[2 * j] * xy[2 * i + 1];
        }
        return Math.Abs(sum) / 2;
    }

    static double[] PolygonBox(double[] xy)
    {
        double x0 = double.MaxValue, y0 = double.MaxValue, x1 = double.MinValue, y1 = double.MinValue;
        for (int i = 0; i + 1 < xy.Length; i += 2)
        {
            x0 = Math.Min(x0, xy[i]); x1 = Math.Max(x1, xy[i]);
            y0 = Math.Min(y0, xy[i + 1]); y1 = Math.Max(y1, xy[i + 1]);
        }
        return [x0, y0, Math.Round(x1 - x0, 2), Math.Round(y1 - y0, 2)];
    }

    static double[] BoxOf(Rle rle)
    {
        var b = rle.ToBox();
        return [b.X, b.Y, b.Width, b.Height];
    }
}
