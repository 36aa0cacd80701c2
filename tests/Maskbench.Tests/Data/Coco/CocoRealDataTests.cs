using System.Text.Json;
using Maskbench.Data.Coco;
using Maskbench.Progress;
using Maskbench.Tests.Support;

namespace Maskbench.Tests.Data.Coco;

/// <summary>The real COCO files in ../shared/data against the compiled COCO mask API and the files' own fields.</summary>
public class CocoRealDataTests
{
    const string Val2017Mini = "coco-val2017-mini/annotations/instances_val2017.json";
    const string FakeSegm = "coco/instances_val2014_fakesegm_rle.json";

    [SkippableFact]
    public void Val2017_mini_is_read_completely()
    {
        var coco = CocoAnnotationReader.Read(SharedData.Require(Val2017Mini));
        Assert.Equal(79, coco.Images.Count);
        Assert.Equal(80, coco.Categories.Count);
        Assert.Equal(624, coco.Annotations.Count);
        Assert.Equal(5, coco.Annotations.Count(a => a.IsCrowd));
        Assert.All(coco.Annotations.Where(a => a.IsCrowd), a => Assert.Equal(CocoSegmentationKind.UncompressedRle, a.Segmentation.Kind));
        var first = coco.Annotations.Single(a => a.Id == 80342);
        Assert.Equal(453302, first.ImageId);
        Assert.Equal(44, first.CategoryId);
        Assert.Equal([60.72, 30.31, 209.04, 208.06], first.Bbox);
        Assert.Equal(167.2, first.Segmentation.Coordinates[0]);
        Assert.Equal("person", coco.Category(1).Name);
        Assert.Equal(coco.Annotations.Count, coco.Images.Sum(i => coco.AnnotationsOf(i.Id).Count));
    }

    /// <summary>Every mask of val2017-mini (619 polygon objects, 5 crowd RLEs) equals maskApi.c's, string for string.</summary>
    [SkippableFact]
    public void Val2017_mini_masks_match_the_compiled_coco_mask_api_exactly()
    {
        var coco = CocoAnnotationReader.Read(SharedData.Require(Val2017Mini));
        var expected = MaskApiFixture.Load("maskapi_val2017mini.tsv");
        Assert.Equal(624, expected.Count);
        foreach (var a in coco.Annotations)
        {
            var rle = coco.Mask(a);
            var e = expected[a.Id];
            Assert.True(e.Rle == rle.ToCompressedString(), $"annotation {a.Id}: compressed RLE differs from maskApi.c");
            Assert.Equal(e.Area, rle.Area);
            Assert.Equal(e.Box, rle.ToBox());
        }
    }

    [SkippableFact]
    public void Polygon_masks_agree_with_the_json_area_and_box_within_the_documented_tolerance()
    {
        var coco = CocoAnnotationReader.Read(SharedData.Require(Val2017Mini));
        var relative = new List<double>();
        foreach (var a in coco.Annotations.Where(a => !a.IsCrowd))
        {
            var rle = coco.Mask(a);
            relative.Add(Math.Abs(rle.Area - a.Area) / a.Area);
            // The mask's pixels lie within the polygon's box grown by one pixel on each side.
            var box = rle.ToBox();
            Assert.True(box.X >= Math.Floor(a.Bbox[0]) - 1 && box.Y >= Math.Floor(a.Bbox[1]) - 1,
                $"annotation {a.Id}: box {box} starts before {string.Join(",", a.Bbox)}");
            Assert.True(box.X + box.Width <= Math.Ceiling(a.Bbox[0] + a.Bbox[2]) + 1 && box.Y + box.Height <= Math.Ceiling(a.Bbox[1] + a.Bbox[3])
                + 1, $"annotation {a.Id}: box {box} ends after {string.Join(",", a.Bbox)}");
        }
        // README: 0.7% apart on average, up to 13% for thin objects.
        Assert.InRange(relative.Average(), 0, 0.015);
        Assert.InRange(relative.Max(), 0, 0.2);
    }

    [SkippableFact]
    public void Crowd_regions_keep_their_known_quirks_and_the_decoded_mask_is_the_truth()
    {
        var coco = CocoAnnotationReader.Read(SharedData.Require(Val2017Mini));
        foreach (var a in coco.Annotations.Where(a => a.IsCrowd))
        {
            var rle = coco.Mask(a);
            Assert.Equal(a.Segmentation.Counts, rle.Counts);
            var box = rle.ToBox();
            Assert.Equal(a.Bbox[2] + 1, box.Width);
            Assert.Equal(a.Bbox[3] + 1, box.Height);
        }
    }

    /// <summary>734 real compressed RLEs from the COCO API's own results file; the JSON area is the pixel count there.</summary>
    [SkippableFact]
    public void Real_compressed_rles_decode_to_their_area_and_reencode_to_the_same_string()
    {
        string path = SharedData.Require(FakeSegm);
        var coco = CocoAnnotationReader.Read(path);
        Assert.Equal(734, coco.Annotations.Count);
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var raw = doc.RootElement.GetProperty("annotations").EnumerateArray()
            .ToDictionary(e => e.GetProperty("id").GetInt64(), e => e.GetProperty("segmentation"));
        int compressed = 0, uncompressed = 0;
        foreach (var a in coco.Annotations)
        {
            var rle = coco.Mask(a);
            var mask = rle.ToMask();
            Assert.Equal((long)a.Area, mask.CountForeground());
            Assert.Equal((long)a.Area, rle.Area);
            var reencoded = Rle.Encode(mask);
            Assert.Equal(rle.Counts, reencoded.Counts);
            if (a.Segmentation.Kind == CocoSegmentationKind.CompressedRle)
            {
                Assert.Equal(raw[a.Id].GetProperty("counts").GetString(), reencoded.ToCompressedString());
                compressed++;
            }
            else
            {
                var fromString = Rle.FromCompressedString(rle.Height, rle.Width, reencoded.ToCompressedString());
                Assert.Equal(mask.Values, fromString.ToMask().Values);
                uncompressed++;
            }
        }
        Assert.True(compressed > 500 && uncompressed > 100, $"{compressed} compressed, {uncompressed} uncompressed");
    }

    [SkippableFact]
    public void A_tiny_buffer_that_must_grow_gives_the_same_records()
    {
        string path = SharedData.Require(Val2017Mini);
        var big = CocoAnnotationReader.Read(path);
        var small = CocoAnnotationReader.Read(path, NullProgress.Instance, 64);
        Assert.Equal(big.Images, small.Images);
        Assert.Equal(big.Categories, small.Categories);
        Assert.Equal(big.Annotations.Select(a => (a.Id, a.ImageId, a.CategoryId, a.IsCrowd, a.Area, string.Join(",", a.Bbox), a.Segmentation.Kind,
            string.Join(",", a.Segmentation.Coordinates), string.Join(",", a.Segmentation.Counts))),
                     small.Annotations.Select(a => (a.Id, a.ImageId, a.CategoryId, a.IsCrowd, a.Area, string.Join(",", a.Bbox), a.Segmentation.Kind,
                         string.Join(",", a.Segmentation.Coordinates), string.Join(",", a.Segmentation.Counts))));
    }

    [SkippableFact]
    public void Keypoint_files_read_with_their_extra_fields_skipped()
    {
        var coco = CocoAnnotationReader.Read(SharedData.Require("coco/person_keypoints_val2017.json"));
        Assert.Equal(14, coco.Annotations.Count);
        Assert.All(coco.Annotations, a => Assert.True(coco.Mask(a).Area > 0));
    }
}

public class CocoMaskExportTests
{
    [SkippableFact]
    public void Mask_lines_carry_the_coco_api_strings()
    {
        var coco = CocoAnnotationReader.Read(SharedData.Require("coco-val2017-mini/annotations/instances_val2017.json"));
        var expected = MaskApiFixture.Load("maskapi_val2017mini.tsv");
        using var tmp = new TempFolder();
        string path = tmp["out/masks.jsonl"];
        Assert.Equal(624, CocoMaskExport.Write(coco, path, NullProgress.Instance));
        var lines = File.ReadAllLines(path);
        Assert.Equal(624, lines.Length);
        Assert.Single(Directory.GetFiles(tmp["out"]));
        foreach (string line in lines)
        {
            using var doc = JsonDocument.Parse(line);
            var e = expected[doc.RootElement.GetProperty("id").GetInt64()];
            Assert.Equal(e.Rle, doc.RootElement.GetProperty("counts").GetString());
            Assert.Equal(e.Area, doc.RootElement.GetProperty("area").GetInt64());
            var b = doc.RootElement.GetProperty("bbox").EnumerateArray().Select(v => v.GetInt32()).ToArray();
            Assert.Equal(e.Box, new MaskBox(b[0], b[1], b[2], b[3]));
        }
    }
}
