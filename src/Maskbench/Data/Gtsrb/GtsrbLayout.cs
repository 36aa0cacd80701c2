namespace Maskbench.Data.Gtsrb;

/// <summary>
/// Where the parts of an unpacked GTSRB download are. The official archives unpack as
/// <c>GTSRB/Final_Training/Images/000NN/</c> (one <c>GT-000NN.csv</c> per class) and
/// <c>GTSRB/Final_Test/Images/</c> (with <c>GT-final_test.test.csv</c>, which has no ClassId; the labels come in
/// the separate ground-truth archive as <c>GT-final_test.csv</c>). Either the folder holding <c>Final_Training</c>
/// or <c>Final_Test</c>, or a parent with a <c>GTSRB</c> folder, is accepted as the root.
/// </summary>
public sealed class GtsrbLayout
{
    public const string LabelledTestCsvName = "GT-final_test.csv";
    public const string UnlabelledTestCsvName = "GT-final_test.test.csv";

    /// <summary>The folder that holds Final_Training and/or Final_Test.</summary>
    public string Root { get; }
    /// <summary><c>Final_Training/Images</c> (one folder per class), or null when the root has no training split.</summary>
    public string? TrainingImages { get; }
    /// <summary><c>Final_Test/Images</c>, or null when the root has no test split.</summary>
    public string? TestImages { get; }
    /// <summary>The labelled test CSV (given, or found beside the images or in Final_Test or the root); null if none.</summary>
    public string? TestCsv { get; }
    /// <summary>The unlabelled <c>GT-final_test.test.csv</c> when that is all there is.</summary>
    public string? UnlabelledTestCsv { get; }

    GtsrbLayout(string root, string? testCsv)
    {
        Root = root;
        string training = Path.Combine(root, "Final_Training", "Images");
        TrainingImages = Directory.Exists(training) ? training : null;
        string test = Path.Combine(root, "Final_Test", "Images");
        TestImages = Directory.Exists(test) ? test : null;
        if (testCsv is not null)
        {
            if (!File.Exists(testCsv)) throw new MaskbenchException($"{testCsv}: the test CSV given does not exist");
            TestCsv = Path.GetFullPath(testCsv);
        }
        else
        {
            string[] places = [test, Path.Combine(root, "Final_Test"), root];
            TestCsv = places.Select(p => Path.Combine(p, LabelledTestCsvName)).FirstOrDefault(File.Exists);
            UnlabelledTestCsv = TestCsv is null
                ? places.Select(p => Path.Combine(p, UnlabelledTestCsvName)).FirstOrDefault(File.Exists)
                : null;
        }
    }

    /// <summary>Finds the layout under <paramref name="path"/>; throws naming what was looked for when there is none.</summary>
    public static GtsrbLayout Find(string path, string? testCsv = null)
    {
        string full = Path.GetFullPath(path);
        if (!Directory.Exists(full)) throw new MaskbenchException($"{path}: no such folder (expected a GTSRB root holding Final_Training and/or "
            + "Final_Test)");
        string name = Path.GetFileName(full.TrimEnd(Path.DirectorySeparatorChar));
        if (name is "Final_Training" or "Final_Test") full = Path.GetDirectoryName(full)!;
        foreach (string candidate in new[] { full, Path.Combine(full, "GTSRB") })
        {
            if (Directory.Exists(Path.Combine(candidate, "Final_Training", "Images"))
                || Directory.Exists(Path.Combine(candidate, "Final_Test", "Images")))
                return new GtsrbLayout(candidate, testCsv);
        }
        throw new MaskbenchException(
            $"{path}: not a GTSRB root: found neither Final_Training/Images nor Final_Test/Images in it or in its GTSRB folder");
    }
}
