using System.Text.Json;
using Maskbench.Data;
using Maskbench.Data.Coco;
using Maskbench.Data.Images;
using Maskbench.Progress;
using Maskbench.Tests.Support;

namespace Maskbench.Tests.Data.Coco;

public class CocoCropGeometryTests
{
    [Fact]
    public void Shorter_side_grows_symmetrically_inside_the_image()
    {
        // 10 wide, 4 high at (20, 30): the height grows by 6, 3 above and 3 below.
        Assert.Equal(new CocoCropGeometry.Square(20, 27, 10), CocoCropGeometry.Around(new MaskBox(20, 30, 10, 4), 100, 100));
        // An odd difference puts the extra pixel after: 5 wide, 2 high grows 1 above and 2 below.
        Assert.Equal(new CocoCropGeometry.Square(0, 9, 5), CocoCropGeometry.Around(new MaskBox(0, 10, 5, 2), 100, 100));
    }

    [Fact]
    public void Square_is_shifted_back_inside_at_the_borders()
    {
        Assert.Equal(new CocoCropGeometry.Square(0, 0, 10), CocoCropGeometry.Around(new MaskBox(0, 1, 10, 2), 50, 50));
        Assert.Equal(new CocoCropGeometry.Square(40, 40, 10), CocoCropGeometry.Around(new MaskBox(40, 48, 10, 2), 50, 50));
    }

    [Fact]
    public void Square_larger_than_the_image_covers_it_and_pads()
    {
        // A 30-wide object in a 30x12 image: the square of 30 covers all 12 rows, 9 padded rows above and below.
        Assert.Equal(new CocoCropGeometry.Square(0, -9, 30), CocoCropGeometry.Around(new MaskBox(0, 2, 30, 8), 30, 12));
    }
}

public class CocoCropBuilderTests
{
    /// <summary>
    /// A 16x12 PNG (lossless) with object A (dog, rows 2-9, cols 2-9), object B (cat) overlapping A's right part
    /// and a crowd region (person) in A's box: with S equal to A's crop side nothing is resized and every pixel
    /// can be checked.
    /// </summary>
    [Fact]
    public void Other_objects_are_blacked_out_but_the_objects_own_pixels_are_kept()
    {
        using var tmp = new TempFolder();
        Directory.CreateDirectory(tmp["img"]);
        var image = new RgbImage(16, 12);
        for (int y = 0; y < 12; y++) for (int x = 0; x < 16; x++) image[x, y] = ((byte)(10 + x), (byte)(100 + y), 200);
        ImageFile.Save(image, tmp["img/a.png"]);
        // Polygons on pixel edges: [2,2]-[10,10] covers pixels 2..9 (see PolygonRasterizerTests for the rule).
        var crowd = new BinaryMask(16, 12);
        crowd[3, 3] = crowd[4, 3] = crowd[12, 8] = 1; // two pixels inside the dog, one below the cat
        var crowdRle = Rle.Encode(crowd);
        string json = $$$"""
            {"images": [{"id": 1, "file_name": "a.png", "width": 16, "height": 12}],
             "categories": [{"id": 1, "name": "person"}, {"id": 2, "name": "dog"}, {"id": 3, "name": "cat"}],
             "annotations": [
               {"id": 10, "image_id": 1, "category_id": 2, "iscrowd": 0, "segmentation": [[2, 2, 10, 2, 10, 10, 2, 10]]},
               {"id": 11, "image_id": 1, "category_id": 3, "iscrowd": 0, "segmentation": [[8, 4, 14, 4, 14, 8, 8, 8]]},
               {"id": 12, "image_id": 1, "category_id": 1, "iscrowd": 1,
                "segmentation": {"counts": [{{{string.Join(",", crowdRle.Counts)}}}], "size": [12, 16]}}]}
            """;
        File.WriteAllText(tmp["a.json"], json);
        var options = new CocoCropOptions { AnnotationFiles = [tmp["a.json"]], ImageFolder = tmp["img"], Split = "train", Size = 8,
            Classes = CocoClassSelection.Named(["dog"]) };
        var result = CocoCropBuilder.Build(options, null, NullProgress.Instance);
        Assert.Equal(1, result.Arrays.Count);
        var crop = result.Arrays.Image(0);
        var mask = result.Arrays.Mask(0);
        for (int cy = 0; cy < 8; cy++)
            for (int cx = 0; cx < 8; cx++)
            {
                int x = cx + 2, y = cy + 2;
                Assert.Equal(1, mask[cx, cy]); // the crop is exactly the dog's square
                // Pixels of the cat (cols 8.., rows 4..7) and of the crowd are inside the dog too: they are the dog's own.
                Assert.Equal(image[x, y], crop[cx, cy]);
            }
        // The cat as sample: its crop (6 wide, 4 high -> square 6 at y 3) holds dog pixels outside the cat: black.
        var catOptions = new CocoCropOptions { AnnotationFiles = [tmp["a.json"]], ImageFolder = tmp["img"], Split = "train", Size = 6,
            Classes = CocoClassSelection.Named(["cat"]) };
        var cat = CocoCropBuilder.Build(catOptions, null, NullProgress.Instance);
        var catCrop = cat.Arrays.Image(0);
        var catMask = cat.Arrays.Mask(0);
        for (int cy = 0; cy < 6; cy++)
            for (int cx = 0; cx < 6; cx++)
            {
                int x = cx + 8, y = cy + 3;
                bool isCat = x is >= 8 and <= 13 && y is >= 4 and <= 7;
                bool isDog = x <= 9 && y is >= 2 and <= 9, isCrowd = x == 12 && y == 8;
                Assert.Equal(isCat ? 1 : 0, catMask[cx, cy]);
                Assert.Equal(isCat || !(isDog || isCrowd) ? image[x, y] : ((byte)0, (byte)0, (byte)0), catCrop[cx, cy]);
            }
        var skipped = result.Record["skipped"]!.AsObject();
        Assert.Equal(1, (int)skipped["crowd"]!);
        Assert.Equal(1, (int)skipped["class not chosen"]!);
    }

    [Fact]
    public void Synthetic_build_table1_counts_match_the_annotations_and_test_reuses_train_classes()
    {
        using var tmp = new TempFolder();
        SyntheticCoco.Write(tmp["train"], 12, seed: 1);
        SyntheticCoco.Write(tmp["test"], 6, seed: 2);
        string dataset = tmp["ds"];
        var train = new CocoCropOptions
        {
            AnnotationFiles = [Path.Combine(tmp["train"], SyntheticCoco.AnnotationFile)],
            ImageFolder = Path.Combine(tmp["train"], SyntheticCoco.ImageFolder),
            Split = "train", Size = 16, Classes = CocoClassSelection.TopN(3), Exclude = ["person"],
        };
        CocoCropDataset.Build(dataset, train, NullProgress.Instance);
        var test = new CocoCropOptions
        {
            AnnotationFiles = [Path.Combine(tmp["test"], SyntheticCoco.AnnotationFile)],
            ImageFolder = Path.Combine(tmp["test"], SyntheticCoco.ImageFolder),
            Split = "test", Size = 16, Exclude = ["person"],
        };
        var manifest = CocoCropDataset.Build(dataset, test, NullProgress.Instance);

        // Independent count straight from the JSON: non-crowd objects per category name, person excluded.
        var trainCounts = CountObjects(train.AnnotationFiles[0]);
        var expectedClasses = trainCounts.Where(p => p.Key != "person").OrderByDescending(p => p.Value)
            .ThenBy(p => Id(train.AnnotationFiles[0], p.Key)).Take(3).Select(p => p.Key).ToList();
        Assert.Equal(expectedClasses, manifest.ClassNames);
        var testCounts = CountObjects(test.AnnotationFiles[0]);
        var rows = CocoTable1.Rows(manifest);
        for (int c = 0; c < 3; c++)
        {
            Assert.Equal(expectedClasses[c], rows[c].ClassName);
            Assert.Equal(trainCounts[expectedClasses[c]], rows[c].Train);
            Assert.Equal(testCounts.GetValueOrDefault(expectedClasses[c]), rows[c].Test);
        }
        Assert.Equal(rows.Take(3).Sum(r => r.Train), rows[3].Train);
        using var ds = DatasetStore.Open(dataset);
        Assert.Equal(["test", "train"], ds.SplitNames);
        Assert.Equal(rows[3].Test, ds.Split("test").Count);
        var recorded = manifest.BuildParameters["splits"]!["train"]!["skipped"]!.AsObject();
        Assert.True((int)recorded["crowd"]! > 0 && (int)recorded["excluded class"]! > 0);
    }

    [Fact]
    public void Test_split_without_train_or_classes_is_refused()
    {
        using var tmp = new TempFolder();
        SyntheticCoco.Write(tmp["s"], 2, seed: 4);
        var test = new CocoCropOptions { AnnotationFiles = [Path.Combine(tmp["s"], SyntheticCoco.AnnotationFile)],
            ImageFolder = Path.Combine(tmp["s"], SyntheticCoco.ImageFolder), Split = "test" };
        var e = Assert.Throws<MaskbenchException>(() => CocoCropDataset.Build(tmp["ds"], test, NullProgress.Instance));
        Assert.Contains("--split train", e.Message);
    }

    [Fact]
    public void Synthetic_coco_is_deterministic_and_uses_all_segmentation_forms()
    {
        using var tmp = new TempFolder();
        SyntheticCoco.Write(tmp["a"], 8, seed: 9);
        SyntheticCoco.Write(tmp["b"], 8, seed: 9);
        foreach (string file in Directory.GetFiles(tmp["a"], "*", SearchOption.AllDirectories))
            Assert.Equal(File.ReadAllBytes(file), File.ReadAllBytes(file.Replace(tmp["a"], tmp["b"])));
        var coco = CocoAnnotationReader.Read(Path.Combine(tmp["a"], SyntheticCoco.AnnotationFile));
        Assert.Equal(8, coco.Images.Count);
        Assert.Contains(coco.Annotations, a => a.IsCrowd && a.Segmentation.Kind == CocoSegmentationKind.UncompressedRle);
        Assert.Contains(coco.Annotations, a => a.Segmentation.Kind == CocoSegmentationKind.CompressedRle);
        Assert.Contains(coco.Annotations, a => a.Segmentation.PolygonLengths.Length == 2);
        Assert.Contains(coco.Annotations, a => coco.Category(a.CategoryId).Name == "person");
        Assert.True(coco.Images.All(i => coco.AnnotationsOf(i.Id).Count >= 2));
        Assert.True(ImageFile.Load(Path.Combine(tmp["a"], SyntheticCoco.ImageFolder, coco.Images[0].FileName)).Width == coco.Images[0].Width);
    }

    [SkippableFact]
    public void Real_val2017_mini_crops_one_sample_per_non_crowd_object_of_the_kept_classes()
    {
        string root = SharedData.Require("coco-val2017-mini");
        string annotations = Path.Combine(root, "annotations", "instances_val2017.json");
        var options = new CocoCropOptions { AnnotationFiles = [annotations], ImageFolder = Path.Combine(root, "val2017"), Split = "train",
            Exclude = ["person"] };
        var result = CocoCropBuilder.Build(options, null, NullProgress.Instance);
        var counts = CountObjects(annotations);
        Assert.Equal(10, result.Classes.Count);
        Assert.DoesNotContain("person", result.Classes);
        Assert.Equal(result.Classes.Sum(c => counts[c]), result.Arrays.Count);
        for (int c = 0; c < 10; c++) Assert.Equal(counts[result.Classes[c]], result.Arrays.Labels.Count(l => l == c));
        // Every sample's mask has foreground (the object), and no sample is all black.
        for (int i = 0; i < result.Arrays.Count; i++) Assert.True(result.Arrays.Mask(i).CountForeground() > 0, $"sample {i} has an empty mask");
    }

    static Dictionary<string, int> CountObjects(string annotationFile)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(annotationFile));
        var names = doc.RootElement.GetProperty("categories").EnumerateArray()
            .ToDictionary(c => c.GetProperty("id").GetInt32(), c => c.GetProperty("name").GetString()!);
        return doc.RootElement.GetProperty("annotations").EnumerateArray()
            .Where(a => a.GetProperty("iscrowd").GetInt32() == 0)
            .GroupBy(a => names[a.GetProperty("category_id").GetInt32()]).ToDictionary(g => g.Key, g => g.Count());
    }

    static int Id(string annotationFile, string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(annotationFile));
        return doc.RootElement.GetProperty("categories").EnumerateArray().First(c => c.GetProperty("name").GetString() == name).GetProperty("id")
            .GetInt32();
    }
}

public class CocoCropBuilderErrorTests
{
    [Fact]
    public void Missing_image_file_is_a_user_error_not_a_crash()
    {
        using var tmp = new TempFolder();
        SyntheticCoco.Write(tmp["s"], 2, seed: 5);
        var coco = CocoAnnotationReader.Read(Path.Combine(tmp["s"], SyntheticCoco.AnnotationFile));
        File.Delete(Path.Combine(tmp["s"], SyntheticCoco.ImageFolder, coco.Images[1].FileName));
        var options = new CocoCropOptions { AnnotationFiles = [Path.Combine(tmp["s"], SyntheticCoco.AnnotationFile)],
            ImageFolder = Path.Combine(tmp["s"], SyntheticCoco.ImageFolder), Split = "train" };
        var e = Assert.ThrowsAny<MaskbenchException>(() => CocoCropBuilder.Build(options, null, NullProgress.Instance));
        Assert.Contains(coco.Images[1].FileName, e.Message);
    }
}

public class CocoCropPaddingTests
{
    [Fact]
    public void A_square_taller_than_the_image_is_padded_with_black_and_background()
    {
        using var tmp = new TempFolder();
        Directory.CreateDirectory(tmp["img"]);
        var image = new RgbImage(20, 6);
        Array.Fill(image.Pixels, (byte)200);
        ImageFile.Save(image, tmp["img/w.png"]);
        // Object covering pixels x 2..17, y 1..4: a 16-wide square in a 6-high image, 5 padded rows above and below.
        File.WriteAllText(tmp["a.json"], """
            {"images": [{"id": 1, "file_name": "w.png", "width": 20, "height": 6}],
             "categories": [{"id": 5, "name": "bench"}],
             "annotations": [{"id": 1, "image_id": 1, "category_id": 5, "iscrowd": 0, "segmentation": [[2, 1, 18, 1, 18, 5, 2, 5]]}]}
            """);
        var options = new CocoCropOptions { AnnotationFiles = [tmp["a.json"]], ImageFolder = tmp["img"], Split = "train", Size = 16 };
        var result = CocoCropBuilder.Build(options, null, NullProgress.Instance);
        var crop = result.Arrays.Image(0);
        var mask = result.Arrays.Mask(0);
        for (int y = 0; y < 16; y++)
            for (int x = 0; x < 16; x++)
            {
                int sy = y - 5; // the square starts 5 rows above the image
                bool inImage = sy is >= 0 and < 6;
                Assert.Equal(inImage ? ((byte)200, (byte)200, (byte)200) : ((byte)0, (byte)0, (byte)0), crop[x, y]);
                Assert.Equal(sy is >= 1 and <= 4 ? 1 : 0, mask[x, y]);
            }
    }
}
