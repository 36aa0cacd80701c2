using Maskbench.Data;
using Maskbench.Data.Gtsrb;
using Maskbench.Tests.Support;
using static Maskbench.Tests.Data.Gtsrb.GtsrbFixtures;

namespace Maskbench.Tests.Data.Gtsrb;

public class GtsrbReaderTests
{
    static string GoodTree(TempFolder temp)
    {
        string root = temp["GTSRB"];
        string folder = Path.GetDirectoryName(WriteTrainingClass(root, 2,
            "00000_00000.ppm;20;22;5;5;14;16;2",
            "00000_00001.ppm;24;24;5;6;18;18;2",
            "00003_00000.ppm;30;26;5;5;24;20;2"))!;
        WritePpm(Path.Combine(folder, "00000_00000.ppm"), 20, 22);
        WritePpm(Path.Combine(folder, "00000_00001.ppm"), 24, 24, comment: true);
        WritePpm(Path.Combine(folder, "00003_00000.ppm"), 30, 26);
        return root;
    }

    [Fact]
    public void Reads_records_with_sizes_rois_classes_and_tracks()
    {
        using var temp = new TempFolder();
        string root = GoodTree(temp);
        var records = GtsrbReader.Open(root).ReadTraining().ToList();
        Assert.Equal(3, records.Count);
        Assert.Equal(new RoiBox(5, 6, 18, 18), records[1].Roi);
        Assert.Equal((24, 24), (records[1].Width, records[1].Height));
        Assert.All(records, r => Assert.Equal(2, r.ClassId));
        Assert.Equal([0, 0, 3], records.Select(r => r.Track!.Value));
        Assert.Equal([2, 3, 4], records.Select(r => r.Line));
    }

    [Fact]
    public void Accepts_the_parent_of_GTSRB_and_the_Final_Training_folder_as_root()
    {
        using var temp = new TempFolder();
        string root = GoodTree(temp);
        Assert.Equal(Path.GetFullPath(root), GtsrbLayout.Find(temp.Path).Root);
        Assert.Equal(Path.GetFullPath(root), GtsrbLayout.Find(Path.Combine(root, "Final_Training")).Root);
        Assert.Throws<MaskbenchException>(() => GtsrbLayout.Find(Path.Combine(root, "Final_Training", "Images")));
    }

    public static TheoryData<string, string, string> BrokenRows => new()
    {
        { "00000_00000.ppm;20;22;5;5;14;16", "line 2", "expected 8 fields separated by ';' as in the header, found 7" },
        { "00000_00000.ppm;20;22;5;5;14;16;2;9", "line 2", "found 9" },
        { "00000_00000.ppm,20,22,5,5,14,16,2", "line 2", "found 1" },
        { "00000_00000.ppm;20;x22;5;5;14;16;2", "line 2", "Height 'x22' is not an integer" },
        { "00000_00000.ppm;20;22;5;5;20;16;2", "line 2", "outside the 20x22 image" },
        { "00000_00000.ppm;20;22;-1;5;14;16;2", "line 2", "outside" },
        { "00000_00000.ppm;20;22;14;5;5;16;2", "line 2", "ROI (14,5)-(5,16) is inverted" },
        { "00000_00000.ppm;20;22;5;16;14;5;2", "line 2", "is inverted" },
        { "00000_00009.ppm;20;22;5;5;14;16;2", "line 2", "does not exist" },
        { "00000_00000.ppm;21;22;5;5;14;16;2", "line 2", "the CSV gives 21x22 (expected) but the file is 20x22 (found)" },
        { "00000_00000.ppm;20;22;5;5;14;16;7", "line 2", "ClassId 7 in the folder of class 2" },
    };

    [Theory]
    [MemberData(nameof(BrokenRows))]
    public void A_broken_row_names_file_and_line(string row, string location, string problem)
    {
        using var temp = new TempFolder();
        string csv = WriteTrainingClass(temp.Path, 2, row);
        WritePpm(Path.Combine(Path.GetDirectoryName(csv)!, "00000_00000.ppm"), 20, 22);
        var e = Assert.Throws<DataFormatException>(() => GtsrbReader.Open(temp.Path).ReadTraining().ToList());
        Assert.Equal(csv, e.FilePath);
        Assert.Equal(location, e.Location);
        Assert.Contains(problem, e.Message);
        Assert.Contains(csv, e.Message);
    }

    [Fact]
    public void Skip_counts_every_broken_row_and_keeps_the_good_ones()
    {
        using var temp = new TempFolder();
        string csv = WriteTrainingClass(temp.Path, 0,
            "00000_00000.ppm;20;22;5;5;14;16;0",   // good
            "00000_00001.ppm;20;22;5;5;14",        // too few fields
            "00000_00002.ppm;20;2x;5;5;14;16;0",   // not an integer
            "00000_00003.ppm;20;22;5;5;14;22;0",   // ROI outside
            "00000_00004.ppm;20;22;5;5;14;16;0",   // missing file
            "00000_00005.ppm;25;22;5;5;14;16;0",   // size mismatch
            "",
            "00001_00000.ppm;20;22;6;6;13;15;0");  // good
        string folder = Path.GetDirectoryName(csv)!;
        foreach (string name in new[] { "00000_00000", "00000_00001", "00000_00002", "00000_00003", "00000_00005", "00001_00000" })
            WritePpm(Path.Combine(folder, name + ".ppm"), 20, 22);
        var reader = GtsrbReader.Open(temp.Path, ErrorPolicy.Skip);
        var records = reader.ReadTraining().ToList();
        Assert.Equal(["00000_00000.ppm", "00001_00000.ppm"], records.Select(r => r.FileName));
        Assert.Equal(["line 3", "line 4", "line 5", "line 6", "line 7"], reader.Skipped.Select(s => s.Location));
        Assert.All(reader.Skipped, s => Assert.Equal(csv, s.File));
    }

    [Fact]
    public void RescaleRoi_scales_the_roi_to_the_file_and_still_stops_on_other_errors()
    {
        using var temp = new TempFolder();
        string csv = WriteTrainingClass(temp.Path, 0, "00000_00000.ppm;40;44;5;5;34;38;0");
        WritePpm(Path.Combine(Path.GetDirectoryName(csv)!, "00000_00000.ppm"), 20, 22);
        var record = Assert.Single(GtsrbReader.Open(temp.Path, ErrorPolicy.RescaleRoi).ReadTraining());
        // Edges [5, 35) x [5, 39) of a 40x44 image halve to [2.5, 17.5) x [2.5, 19.5), rounded half away from zero.
        Assert.Equal(new RoiBox(3, 3, 17, 19), record.Roi);
        Assert.True(record.RoiRescaled);

        File.AppendAllText(csv, "00000_00001.ppm;40;44;5;5;34;38;0\n");
        Assert.Throws<DataFormatException>(() => GtsrbReader.Open(temp.Path, ErrorPolicy.RescaleRoi).ReadTraining().ToList());
    }

    [Fact]
    public void The_unlabelled_test_csv_is_refused_for_a_labelled_split()
    {
        using var temp = new TempFolder();
        string images = temp["Final_Test/Images"];
        WritePpm(Path.Combine(images, "00000.ppm"), 20, 22);
        File.WriteAllText(Path.Combine(images, "GT-final_test.test.csv"),
            "Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2\n00000.ppm;20;22;5;5;14;16\n");
        var e = Assert.Throws<MaskbenchException>(() => GtsrbReader.Open(temp.Path).ReadTest().ToList());
        Assert.Contains("GT-final_test.test.csv, which has no ClassId", e.Message);

        // Given by path, the same file is read and its header is what is wrong.
        var given = GtsrbReader.Open(temp.Path, testCsv: Path.Combine(images, "GT-final_test.test.csv"));
        var header = Assert.Throws<DataFormatException>(() => given.ReadTest().ToList());
        Assert.Equal("line 1", header.Location);
        Assert.Contains("no ClassId column", header.Message);
    }

    [Fact]
    public void Rescaling_keeps_boxes_inside_and_is_the_identity_for_equal_sizes()
    {
        var random = new Random(5);
        for (int n = 0; n < 2000; n++)
        {
            int fw = random.Next(1, 300), fh = random.Next(1, 300), tw = random.Next(1, 300), th = random.Next(1, 300);
            int x1 = random.Next(fw), x2 = random.Next(x1, fw), y1 = random.Next(fh), y2 = random.Next(y1, fh);
            var box = new RoiBox(x1, y1, x2, y2);
            var scaled = GtsrbReader.RescaleRoi(box, fw, fh, tw, th);
            Assert.InRange(scaled.X1, 0, scaled.X2);
            Assert.InRange(scaled.X2, scaled.X1, tw - 1);
            Assert.InRange(scaled.Y1, 0, scaled.Y2);
            Assert.InRange(scaled.Y2, scaled.Y1, th - 1);
            Assert.Equal(box, GtsrbReader.RescaleRoi(box, fw, fh, fw, fh));
        }
    }

    [Fact]
    public void A_class_csv_with_only_a_header_gives_a_warning_naming_it()
    {
        using var temp = new TempFolder();
        string root = GoodTree(temp);
        string empty = WriteTrainingClass(root, 5);   // the header line only
        var reader = GtsrbReader.Open(root);
        Assert.Equal(3, reader.ReadTraining().Count());
        string warning = Assert.Single(reader.Warnings);
        Assert.Contains(empty, warning);
        Assert.Contains("class 5 has no training images", warning);
    }
}
