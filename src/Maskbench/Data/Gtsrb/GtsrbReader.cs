using System.Globalization;
using Maskbench.Data.Images;

namespace Maskbench.Data.Gtsrb;

/// <summary>
/// Streams the records of an unpacked GTSRB download (see <see cref="GtsrbLayout"/>), checking each CSV row against
/// its image file: the row's fields, that the file exists, that its PPM header gives the row's Width and Height,
/// and that the ROI lies inside the image. A problem is reported with the CSV file and line; what happens then is
/// the <see cref="ErrorPolicy"/>. Pixels are not decoded here.
/// </summary>
public sealed class GtsrbReader
{
    static readonly string[] Columns = ["Filename", "Width", "Height", "Roi.X1", "Roi.Y1", "Roi.X2", "Roi.Y2", "ClassId"];

    readonly List<SkippedRecord> _skipped = [];

    public GtsrbLayout Layout { get; }
    public ErrorPolicy Policy { get; }
    /// <summary>Records left out so far (under <see cref="ErrorPolicy.Skip"/>), in reading order.</summary>
    public IReadOnlyList<SkippedRecord> Skipped => _skipped;
    readonly List<string> _warnings = [];
    /// <summary>Things that are not errors but change the dataset, such as a class CSV without records (an empty class).</summary>
    public IReadOnlyList<string> Warnings => _warnings;
    /// <summary>Records whose ROI was scaled to the file's size (under <see cref="ErrorPolicy.RescaleRoi"/>).</summary>
    public int RescaledCount { get; private set; }

    public GtsrbReader(GtsrbLayout layout, ErrorPolicy policy = ErrorPolicy.Stop)
    {
        Layout = layout;
        Policy = policy;
    }

    public static GtsrbReader Open(string root, ErrorPolicy policy = ErrorPolicy.Stop, string? testCsv = null) =>
        new(GtsrbLayout.Find(root, testCsv), policy);

    /// <summary>The training records, class folders in name order, each CSV's rows in file order.</summary>
    public IEnumerable<GtsrbRecord> ReadTraining()
    {
        string folder = Layout.TrainingImages
            ?? throw new MaskbenchException($"{Layout.Root}: no Final_Training/Images folder");
        var classFolders = Directory.GetDirectories(folder)
            .Where(d => int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out _))
            .Order(StringComparer.Ordinal)
            .ToList();
        if (classFolders.Count == 0) throw new MaskbenchException($"{folder}: no class folders (expected 00000, 00001, ...)");
        foreach (string classFolder in classFolders)
        {
            string name = Path.GetFileName(classFolder);
            int classId = int.Parse(name, CultureInfo.InvariantCulture);
            string csv = Path.Combine(classFolder, $"GT-{name}.csv");
            if (!File.Exists(csv))
            {
                Report(classFolder, "folder", $"no annotation file GT-{name}.csv in the class folder");
                continue;
            }
            foreach (var record in ReadCsv(csv, classFolder, GtsrbSplit.Training, classId)) yield return record;
        }
    }

    /// <summary>The test records with labels, from <c>GT-final_test.csv</c>.</summary>
    public IEnumerable<GtsrbRecord> ReadTest()
    {
        string folder = Layout.TestImages ?? throw new MaskbenchException($"{Layout.Root}: no Final_Test/Images folder");
        if (Layout.TestCsv is null)
        {
            string found = Layout.UnlabelledTestCsv is null ? "no test CSV" : $"only {Layout.UnlabelledTestCsv}, which has no ClassId column";
            throw new MaskbenchException(
                $"{folder}: the test split needs labels from {GtsrbLayout.LabelledTestCsvName} (the GTSRB ground-truth download), " +
                $"found {found}; put {GtsrbLayout.LabelledTestCsvName} beside the images or give its path");
        }
        return ReadCsv(Layout.TestCsv, folder, GtsrbSplit.Test, expectedClass: null);
    }

    /// <summary>Reads one annotation CSV whose file names are relative to <paramref name="imageFolder"/>.</summary>
    public IEnumerable<GtsrbRecord> ReadCsv(string csvPath, string imageFolder, GtsrbSplit split, int? expectedClass)
    {
        using var reader = new StreamReader(csvPath);
        string? headerLine = reader.ReadLine();
        int[] columnOf = ParseHeader(csvPath, headerLine);
        int fieldCount = headerLine!.Trim().Split(';').Length;
        int lineNumber = 1, rows = 0;
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            rows++;
            var record = ParseRow(csvPath, lineNumber, line, columnOf, fieldCount, imageFolder, split, expectedClass);
            if (record is not null) yield return record;
        }
        if (rows == 0)
            _warnings.Add($"{csvPath}: the file has a header but no records"
                + (expectedClass is int c ? $", so class {c} has no {split.ToString().ToLowerInvariant()} images" : ""));
    }

    static int[] ParseHeader(string csvPath, string? headerLine)
    {
        if (headerLine is null) throw new DataFormatException(csvPath, "empty file (expected the header row " + string.Join(';', Columns) + ")",
            "line 1");
        string[] names = headerLine.Trim().TrimStart('\uFEFF').Split(';');
        var columnOf = new int[Columns.Length];
        for (int c = 0; c < Columns.Length; c++)
        {
            columnOf[c] = Array.FindIndex(names, n => n.Trim().Equals(Columns[c], StringComparison.OrdinalIgnoreCase));
            if (columnOf[c] >= 0) continue;
            string problem = Columns[c] == "ClassId"
                ? $"the header has no ClassId column, so the file gives no labels (GTSRB's {GtsrbLayout.UnlabelledTestCsvName} is like this; the "
                + $"labels are in {GtsrbLayout.LabelledTestCsvName} of the ground-truth download)"
                : $"the header has no {Columns[c]} column (expected {string.Join(';', Columns)}, found {headerLine.Trim()})";
            throw new DataFormatException(csvPath, problem, "line 1");
        }
        return columnOf;
    }

    GtsrbRecord? ParseRow(string csvPath, int lineNumber, string line, int[] columnOf, int fieldCount, string imageFolder, GtsrbSplit split,
        int? expectedClass)
    {
        string location = $"line {lineNumber}";
        string[] fields = line.TrimEnd('\r').Split(';');
        if (fields.Length != fieldCount)
            return Fail($"expected {fieldCount} fields separated by ';' as in the header, found {fields.Length}");
        string fileName = fields[columnOf[0]].Trim();
        if (fileName.Length == 0 || fileName.IndexOfAny(['/', '\\']) >= 0 || fileName is "." or "..")
            return Fail($"Filename '{fileName}' is not a plain file name");
        var values = new int[7];
        for (int c = 1; c < Columns.Length; c++)
        {
            string text = fields[columnOf[c]].Trim();
            if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out values[c - 1]))
                return Fail($"{Columns[c]} '{text}' is not an integer");
        }
        int csvWidth = values[0], csvHeight = values[1], classId = values[6];
        var roi = new RoiBox(values[2], values[3], values[4], values[5]);
        if (csvWidth <= 0 || csvHeight <= 0) return Fail($"Width and Height must be positive, found {csvWidth}x{csvHeight}");
        if (classId < 0) return Fail($"ClassId {classId} is negative");
        if (expectedClass is int expected && classId != expected)
            return Fail($"ClassId {classId} in the folder of class {expected}");
        if (RoiProblem(roi, csvWidth, csvHeight) is string roiProblem) return Fail(roiProblem);

        string imagePath = Path.Combine(imageFolder, fileName);
        if (!File.Exists(imagePath)) return Fail($"image {fileName} does not exist in {imageFolder}");
        int width, height;
        try
        {
            using var stream = File.OpenRead(imagePath);
            var header = PpmHeader.Read(stream, imagePath);
            (width, height) = (header.Width, header.Height);
        }
        catch (Exception e) when (e is MaskbenchException or IOException)
        {
            return Fail($"image {fileName} is unreadable: {e.Message}");
        }
        bool rescaled = false;
        if (width != csvWidth || height != csvHeight)
        {
            string mismatch = $"size mismatch for {fileName}: the CSV gives {csvWidth}x{csvHeight} (expected) but the file is {width}x{height} "
                + "(found)";
            if (Policy != ErrorPolicy.RescaleRoi)
                return Fail(mismatch + (Policy == ErrorPolicy.Stop ? "; use the rescale-roi policy to scale the ROI to the file, or skip" : ""));
            roi = RescaleRoi(roi, csvWidth, csvHeight, width, height);
            rescaled = true;
            RescaledCount++;
        }
        return new GtsrbRecord(split, imagePath, csvPath, lineNumber, width, height, roi,
            classId, GtsrbRecord.TrackOf(fileName), rescaled);

        GtsrbRecord? Fail(string problem)
        {
            Report(csvPath, location, problem);
            return null;
        }
    }

    void Report(string file, string location, string problem)
    {
        if (Policy == ErrorPolicy.Skip) _skipped.Add(new SkippedRecord(file, location, problem));
        else throw new DataFormatException(file, problem, location);
    }

    static string? RoiProblem(RoiBox roi, int width, int height) =>
        roi.X1 > roi.X2 || roi.Y1 > roi.Y2
            ? $"ROI ({roi.X1},{roi.Y1})-({roi.X2},{roi.Y2}) is inverted (Roi.X1 must not exceed Roi.X2, nor Roi.Y1 Roi.Y2)"
            : !Inside(roi, width, height)
                ? $"ROI ({roi.X1},{roi.Y1})-({roi.X2},{roi.Y2}) is outside the {width}x{height} image (inclusive coordinates 0..{width - 1}, "
                + $"0..{height - 1})"
                : null;

    static bool Inside(RoiBox roi, int width, int height) =>
        roi.X1 >= 0 && roi.Y1 >= 0 && roi.X1 <= roi.X2 && roi.Y1 <= roi.Y2 && roi.X2 < width && roi.Y2 < height;

    /// <summary>
    /// Scales an inclusive box given for a <paramref name="fromWidth"/> x <paramref name="fromHeight"/> image to
    /// another size: the box's edges [X1, X2+1) are scaled as continuous coordinates and rounded, keeping at least
    /// one pixel, inside the target.
    /// </summary>
    public static RoiBox RescaleRoi(RoiBox roi, int fromWidth, int fromHeight, int toWidth, int toHeight)
    {
        static (int, int) Scale(int lo, int hi, int from, int to)
        {
            double s = (double)to / from;
            int a = Math.Clamp((int)Math.Round(lo * s, MidpointRounding.AwayFromZero), 0, to - 1);
            int b = Math.Clamp((int)Math.Round((hi + 1) * s, MidpointRounding.AwayFromZero) - 1, a, to - 1);
            return (a, b);
        }
        var (x1, x2) = Scale(roi.X1, roi.X2, fromWidth, toWidth);
        var (y1, y2) = Scale(roi.Y1, roi.Y2, fromHeight, toHeight);
        return new RoiBox(x1, y1, x2, y2);
    }
}
