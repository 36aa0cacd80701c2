using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Maskbench.Data;

/// <summary>The `dataset.json` of a dataset folder: what the data is, how it was built, and what each split holds.</summary>
public sealed class DatasetManifest
{
    public const string CurrentFormat = "maskbench-dataset/1";

    public string Format { get; set; } = CurrentFormat;
    public string Name { get; set; } = "";
    public List<string> ClassNames { get; set; } = [];
    public int ImageSize { get; set; }
    /// <summary>Where the data came from, in words (for example "GTSRB Final_Training, graph-cut masks").</summary>
    public string Source { get; set; } = "";
    /// <summary>Whether a horizontal flip keeps the label (false for traffic signs: "keep left" becomes "keep right").</summary>
    public bool HorizontalFlipPreservesLabels { get; set; }
    /// <summary>Build parameters, chosen classes, skipped records with reasons: whatever the builder records.</summary>
    public JsonObject BuildParameters { get; set; } = [];
    /// <summary>Filled by <see cref="DatasetStore.Write"/>.</summary>
    public Dictionary<string, SplitSummary> Splits { get; set; } = [];

}

/// <summary>Counts, foreground fractions and array fingerprints of one split.</summary>
public sealed class SplitSummary
{
    public int Count { get; set; }
    public int[] CountsPerClass { get; set; } = [];
    /// <summary>Mean share of foreground pixels over all images of the split.</summary>
    public double ForegroundFraction { get; set; }
    public double[] ForegroundFractionPerClass { get; set; } = [];
    public Dictionary<string, ArrayFile> Arrays { get; set; } = [];
}

/// <summary>One .npy file of a split: its dtype, shape and SHA-256 of the whole file.</summary>
public sealed class ArrayFile
{
    public string File { get; set; } = "";
    public string Dtype { get; set; } = "";
    public long[] Shape { get; set; } = [];
    public string Sha256 { get; set; } = "";
}
