using System.Text;

namespace Maskbench.Tests.Data.Gtsrb;

/// <summary>Hand-made GTSRB trees for error tests: tiny PPM files written byte by byte and CSVs written as text.</summary>
static class GtsrbFixtures
{
    public const string Header = "Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId";

    /// <summary>A P6 file of the given size, optionally with a comment line as OpenCV writes.</summary>
    public static void WritePpm(string path, int width, int height, bool comment = false)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var header = Encoding.ASCII.GetBytes($"P6\n{(comment ? "# made by a test\n" : "")}{width} {height}\n255\n");
        var pixels = new byte[width * height * 3];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)(i * 37);
        File.WriteAllBytes(path, [.. header, .. pixels]);
    }

    /// <summary>A training class folder with the given CSV rows (after the header).</summary>
    public static string WriteTrainingClass(string root, int classId, params string[] rows)
    {
        string folder = Path.Combine(root, "Final_Training", "Images", $"{classId:D5}");
        Directory.CreateDirectory(folder);
        string csv = Path.Combine(folder, $"GT-{classId:D5}.csv");
        File.WriteAllText(csv, Header + "\n" + string.Join("\n", rows) + "\n");
        return csv;
    }

    /// <summary>Rows of a CSV read plainly (an oracle independent of the reader).</summary>
    public static List<string[]> ReadRows(string csv) =>
        File.ReadAllLines(csv).Skip(1).Where(l => l.Length > 0).Select(l => l.Split(';')).ToList();
}
