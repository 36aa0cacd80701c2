using Maskbench.Data;

namespace Maskbench.Tests.Masks;

/// <summary>A minimal binary PPM (P6, maxval 255, '#' comments) reader for the real-data tests of this folder.</summary>
static class PpmTestReader
{
    public static RgbImage Load(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        int pos = 0;
        string Token()
        {
            while (true)
            {
                while (char.IsWhiteSpace((char)bytes[pos])) pos++;
                if (bytes[pos] != '#') break;
                while (bytes[pos] != '\n') pos++;
            }
            int start = pos;
            while (!char.IsWhiteSpace((char)bytes[pos])) pos++;
            return System.Text.Encoding.ASCII.GetString(bytes, start, pos - start);
        }
        if (Token() != "P6") throw new InvalidDataException($"{path} is not a P6 PPM");
        int width = int.Parse(Token()), height = int.Parse(Token()), max = int.Parse(Token());
        if (max != 255) throw new InvalidDataException($"{path}: maxval {max}");
        pos++;
        return new RgbImage(width, height, bytes.AsSpan(pos, width * height * 3).ToArray());
    }

    /// <summary>Every (image path, ROI, class) of a GTSRB training root (Final_Training/Images/000NN/GT-000NN.csv).</summary>
    public static IEnumerable<(string Path, RoiBox Roi, int ClassId)> TrainingRecords(string root)
    {
        foreach (var folder in Directory.GetDirectories(Path.Combine(root, "Final_Training", "Images")).Order(StringComparer.Ordinal))
        {
            string csv = Path.Combine(folder, $"GT-{Path.GetFileName(folder)}.csv");
            foreach (var line in File.ReadLines(csv).Skip(1))
            {
                var f = line.Split(';');
                if (f.Length < 8) continue;
                yield return (Path.Combine(folder, f[0]), new RoiBox(int.Parse(f[3]), int.Parse(f[4]), int.Parse(f[5]), int.Parse(f[6])), int.Parse(f[7]));
            }
        }
    }
}
