using System.Text.Json;
using Maskbench.Data.Coco;

namespace Maskbench.Tests.Data.Coco;

public class PolygonRasterizerTests
{
    // Hand-worked with maskApi.c rleFrPoly: the square (0,0)-(2,2) scales to (0,0)-(10,10); its horizontal edges
    // cross the pixel-centre columns u = 5x + 2 at x = 0 and 1, at rows ceil((0+.5)/5-.5) = 0 and
    // ceil((10+.5)/5-.5) = 2, so runs toggle at column-major indices 0, 2, 4, 6 of a 4x4 image.
    [Fact]
    public void Square_covers_the_pixels_whose_centres_it_contains()
    {
        var rle = PolygonRasterizer.FromPolygon([0, 0, 2, 0, 2, 2, 0, 2], 4, 4);
        Assert.Equal(new uint[] { 0, 2, 2, 2, 10 }, rle.Counts);
        Assert.Equal(4, rle.Area);
        Assert.Equal(new MaskBox(0, 0, 2, 2), rle.ToBox());
    }

    // (-1,-1)-(1,1): C's (int)(-5 + .5) truncates toward zero to -4; the top edge's crossing at row -0.9 clamps
    // to 0 and the bottom edge's at 5 gives ceil(0.6) = 1: only pixel (0,0) is inside.
    [Fact]
    public void Vertices_outside_the_image_are_clamped_like_the_coco_api()
    {
        var rle = PolygonRasterizer.FromPolygon([-1, -1, 1, -1, 1, 1, -1, 1], 3, 3);
        Assert.Equal(new uint[] { 0, 1, 8 }, rle.Counts);
    }

    /// <summary>
    /// pycocotools' frPyObjects reads a list whose first element has four numbers as boxes [x, y, w, h] (rleFrBbox).
    /// Expected strings from the compiled maskApi.c (driver input "B 1 10 12 2 1.5 2.25 5 4 6.6 0.2 3.3 7.7").
    /// </summary>
    [Fact]
    public void Four_number_segmentations_are_boxes_as_in_frPyObjects()
    {
        var boxes = CocoSegmentation.FromPolygons([[1.5, 2.25, 5, 4], [6.6, 0.2, 3.3, 7.7]]).ToRle(10, 12);
        Assert.Equal("f0460000000N4N000d0", boxes.ToCompressedString());
        Assert.Equal(44, boxes.Area);
        Assert.Equal(new MaskBox(2, 0, 8, 8), boxes.ToBox());
        // The same four numbers as a two-vertex polygon enclose nothing (maskApi.c gives "h3", one run of 120).
        Assert.Equal("h3", PolygonRasterizer.FromPolygon([1.5, 2.25, 5, 4], 10, 12).ToCompressedString());
    }

    [Fact]
    public void Direction_of_travel_does_not_change_the_mask()
    {
        double[] p = [0.3, 1.7, 7.9, 0.2, 6.1, 5.55, 1.25, 4.5];
        double[] reversed = [1.25, 4.5, 6.1, 5.55, 7.9, 0.2, 0.3, 1.7];
        Assert.Equal(PolygonRasterizer.FromPolygon(p, 7, 9).Counts, PolygonRasterizer.FromPolygon(reversed, 7, 9).Counts);
    }

    /// <summary>400 random polygons (outside vertices, half pixels, repeated vertices) against maskApi.c itself.</summary>
    [Fact]
    public void Random_polygons_match_the_compiled_coco_mask_api()
    {
        var expected = MaskApiFixture.Load("maskapi_random_polygons.tsv");
        using var doc = JsonDocument.Parse(File.ReadAllText(MaskApiFixture.PathOf("maskapi_random_polygons.json")));
        int checkedCount = 0;
        foreach (var record in doc.RootElement.EnumerateArray())
        {
            long id = record.GetProperty("id").GetInt64();
            int h = record.GetProperty("height").GetInt32(), w = record.GetProperty("width").GetInt32();
            var polygons = record.GetProperty("polygons").EnumerateArray().Select(p => p.EnumerateArray().Select(v => v.GetDouble()).ToArray())
                .ToList();
            var rle = CocoSegmentation.FromPolygons(polygons).ToRle(h, w);
            var e = expected[id];
            Assert.True(e.Rle == rle.ToCompressedString(), $"polygon {id} on {w}x{h}: expected {e.Rle}, got {rle.ToCompressedString()}");
            Assert.Equal(e.Area, rle.Area);
            Assert.Equal(e.Box, rle.ToBox());
            checkedCount++;
        }
        Assert.Equal(400, checkedCount);
    }
}

/// <summary>Reads the fixtures made by running the COCO API's C code (see the header of each .tsv).</summary>
static class MaskApiFixture
{
    public sealed record Entry(string Rle, long Area, MaskBox Box);

    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "Data", "Coco", "Fixtures", name);

    public static Dictionary<long, Entry> Load(string name)
    {
        var result = new Dictionary<long, Entry>();
        foreach (string line in File.ReadLines(PathOf(name)))
        {
            if (line.StartsWith('#') || line.Length == 0) continue;
            string[] f = line.Split('\t');
            int[] b = f[3].Split(' ').Select(int.Parse).ToArray();
            result.Add(long.Parse(f[0]), new Entry(f[1], long.Parse(f[2]), new MaskBox(b[0], b[1], b[2], b[3])));
        }
        return result;
    }
}
