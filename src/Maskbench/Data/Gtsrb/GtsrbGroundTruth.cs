using System.Text.Json.Nodes;

namespace Maskbench.Data.Gtsrb;

/// <summary>
/// What a GTSRB root may hold beyond the official layout: a marker file naming its classes and the true foreground
/// masks under <c>TrueMasks/</c> (same relative names, <c>.png</c>). Roots written by <c>synth gtsrb</c> hold both;
/// real GTSRB holds neither (its class names are <see cref="GtsrbClassNames.All"/>).
/// </summary>
public static class GtsrbGroundTruth
{
    public const string MarkerFileName = "maskbench-synthetic.json";
    public const string TrueMasksFolder = "TrueMasks";

    /// <summary>The class names a root names in its marker file (a synthetic root does), or null when it has none.</summary>
    public static IReadOnlyList<string>? ClassNames(string root)
    {
        string marker = Path.Combine(root, MarkerFileName);
        if (!File.Exists(marker)) return null;
        var node = JsonNode.Parse(File.ReadAllText(marker));
        return node?["class_names"]?.AsArray().Select(n => n!.GetValue<string>()).ToList()
            ?? throw new DataFormatException(marker, "no class_names array");
    }

    /// <summary>
    /// The true mask of an image of a synthetic root, given the image's path relative to the root
    /// (<c>Final_Training/Images/000NN/T_I.ppm</c> or <c>Final_Test/Images/N.ppm</c>, as in a dataset's sources).
    /// </summary>
    public static string TrueMaskPath(string root, string relativeImagePath)
    {
        var parts = relativeImagePath.Replace('\\', '/').Split('/').Where(p => p != "Images").ToArray();
        parts[^1] = Path.ChangeExtension(parts[^1], ".png");
        return Path.Combine([root, TrueMasksFolder, .. parts]);
    }
}
