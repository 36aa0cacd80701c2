using Maskbench.Data.Coco;
using Maskbench.Tests.Support;

namespace Maskbench.Tests.Data.Coco;

public class CocoAnnotationReaderTests
{
    const string Images = "\"images\": [{\"id\": 7, \"file_name\": \"a/b.jpg\", \"width\": 4, \"height\": 3, \"extra\": {\"x\": [1, 2]}}]";
    const string Categories = "\"categories\": [{\"id\": 2, \"name\": \"dog\", \"supercategory\": \"animal\"}]";

    static CocoAnnotations ReadText(TempFolder tmp, string json, int buffer = 1 << 20)
    {
        string path = tmp["a.json"];
        File.WriteAllText(path, json);
        return CocoAnnotationReader.Read(path, null, buffer);
    }

    static DataFormatException Fails(string json)
    {
        using var tmp = new TempFolder();
        return Assert.Throws<DataFormatException>(() => ReadText(tmp, json));
    }

    [Fact]
    public void Keys_in_any_order_unknown_keys_skipped_and_all_three_segmentation_forms_read()
    {
        using var tmp = new TempFolder();
        string json = """
            {"annotations": [
               {"segmentation": {"size": [3, 4], "counts": [1, 2, 9]}, "iscrowd": 1, "id": 10, "category_id": 2, "image_id": 7,
                "area": 2, "bbox": [0, 0, 1, 2]},
               {"id": 11, "image_id": 7, "category_id": 2, "segmentation": {"counts": "12\\0", "size": [3, 4]}, "score": 0.5},
               {"id": 12, "image_id": 7, "category_id": 2, "segmentation": [[0, 0, 2, 0, 2, 2, 0, 2], [3, 0, 4, 0, 4, 1]], "keypoints": [1, 2, 3]}],
             "info": {"year": 2017, "nested": [[{}]]}, "licenses": [],
             
            """ + Images + ", " + Categories + "}";
        var coco = ReadText(tmp, json, buffer: 16);
        Assert.Equal(3, coco.Annotations.Count);
        Assert.True(coco.Annotations[0].IsCrowd);
        Assert.Equal(CocoSegmentationKind.UncompressedRle, coco.Annotations[0].Segmentation.Kind);
        Assert.Equal(new uint[] { 1, 2, 9 }, coco.Mask(coco.Annotations[0]).Counts);
        // The JSON escape "\\" is the character '\' (92), a legal counts character: 92 - 48 = 44 = 0x2c -> continue.
        Assert.Equal("12\\0", System.Text.Encoding.ASCII.GetString(coco.Annotations[1].Segmentation.CompressedCounts));
        Assert.Equal(CocoSegmentationKind.Polygons, coco.Annotations[2].Segmentation.Kind);
        Assert.Equal([8, 6], coco.Annotations[2].Segmentation.PolygonLengths);
        Assert.Equal("a/b.jpg", coco.Image(7).FileName);
        Assert.Equal("animal", coco.Category(2).Supercategory);
    }

    [Fact]
    public void Malformed_json_names_the_line()
    {
        var e = Fails("{\n\"images\": [\n{\"id\": 1,, \"file_name\": \"x.jpg\"}]}");
        Assert.Contains("line 3", e.Message);
        Assert.Contains("malformed JSON", e.Message);
    }

    [Fact]
    public void Truncated_file_is_reported()
    {
        var e = Fails("{\"images\": [{\"id\": 1, \"file_name\": \"x.jpg\", \"width\": 2, \"height\": 2}");
        Assert.Contains("a.json", e.Message);
    }

    [Fact]
    public void Unknown_category_names_the_annotation()
    {
        var e = Fails("{" + Images + ", " + Categories
            + """, "annotations": [{"id": 42, "image_id": 7, "category_id": 91, "segmentation": [[0,0,1,0,1,1]]}]}""");
        Assert.Contains("annotation id 42", e.Message);
        Assert.Contains("category_id 91", e.Message);
    }

    [Fact]
    public void Rle_size_disagreeing_with_the_image_names_the_annotation()
    {
        var e = Fails("{" + Images + ", " + Categories
            + """, "annotations": [{"id": 43, "image_id": 7, "category_id": 2, "segmentation": {"counts": [12], "size": [4, 3]}}]}""");
        Assert.Contains("annotation id 43", e.Message);
        Assert.Contains("disagrees", e.Message);
    }

    [Fact]
    public void Rle_counts_not_covering_the_image_are_refused()
    {
        var e = Fails("{" + Images + ", " + Categories
            + """, "annotations": [{"id": 44, "image_id": 7, "category_id": 2, "segmentation": {"counts": [5, 2], "size": [3, 4]}}]}""");
        Assert.Contains("annotation id 44", e.Message);
    }

    [Fact]
    public void Missing_fields_name_the_record_even_when_the_id_comes_last()
    {
        var e = Fails("{" + Images + ", " + Categories + """, "annotations": [{"image_id": 7, "segmentation": [[0,0,1,0,1,1]], "id": 45}]}""");
        Assert.Contains("annotation id 45", e.Message);
        Assert.Contains("\"category_id\"", e.Message);
    }

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("../secret.jpg")]
    [InlineData("a/../../b.jpg")]
    [InlineData("a\\\\b.jpg")]
    [InlineData("C:/x.jpg")]
    public void File_names_leaving_the_image_folder_are_refused(string name)
    {
        var e = Fails("""{"images": [{"id": 99, "width": 2, "height": 2, "file_name": """ + "\"" + name + "\"}]}");
        Assert.Contains("image id 99", e.Message);
    }

    [Fact]
    public void Resolve_keeps_names_inside_the_folder()
    {
        using var tmp = new TempFolder();
        Assert.Equal(Path.Combine(tmp.Path, "x", "y.jpg"), CocoFileNames.Resolve(tmp.Path, new CocoImage(1, "x/y.jpg", 1, 1), "a.json"));
    }

    [Fact]
    public void A_polygon_far_outside_the_image_names_the_annotation()
    {
        var e = Fails("{" + Images + ", " + Categories
            + """, "annotations": [{"id": 5, "image_id": 7, "category_id": 2, "segmentation": [[0, 0, 1e30, 0, 2, 2]]}]}""");
        Assert.Contains("annotation id 5", e.Message);
        Assert.Contains("x = 1E+30", e.Message);
        Assert.Contains("far outside the 4x3 image", e.Message);
    }

    [Fact]
    public void Duplicate_annotation_ids_are_refused()
    {
        const string a = """{"id": 9, "image_id": 7, "category_id": 2, "segmentation": [[0, 0, 2, 0, 2, 2]]}""";
        var e = Fails("{" + Images + ", " + Categories + ", \"annotations\": [" + a + ", " + a + "]}");
        Assert.Contains("annotation id 9", e.Message);
        Assert.Contains("appears twice", e.Message);
    }

    [Fact]
    public void An_image_too_large_for_a_mask_is_refused_by_its_size()
    {
        var e = Fails("""{"images": [{"id": 1, "file_name": "x.jpg", "width": 2000000000, "height": 2000000000}], "categories": []"""
            + """, "annotations": []}""");
        Assert.Contains("image id 1", e.Message);
        Assert.Contains("2000000000x2000000000", e.Message);
        Assert.Contains("pixels", e.Message);
        Assert.DoesNotContain("RLE", e.Message);
    }
}
