using Maskbench.Masks;

namespace Maskbench.Data.Gtsrb;

/// <summary>What part of each image becomes the dataset image.</summary>
public enum GtsrbCrop
{
    /// <summary>A square around the CSV's ROI, grown by <see cref="GtsrbBuildOptions.CropMargin"/> on each side.</summary>
    Roi,
    /// <summary>The whole image, resized (and so stretched) to a square.</summary>
    Full,
}

/// <summary>Options of <see cref="GtsrbDatasetBuilder"/>; the defaults are those of <c>maskbench build gtsrb</c>.</summary>
public sealed record GtsrbBuildOptions
{
    /// <summary>Side of the square dataset images (the paper uses 32).</summary>
    public int ImageSize { get; init; } = 32;
    public GtsrbCrop Crop { get; init; } = GtsrbCrop.Roi;
    /// <summary>Share of the ROI's longer side added on each side of the square crop.</summary>
    public double CropMargin { get; init; } = 0.05;
    public int Seed { get; init; }
    /// <summary>Parallel workers; 0 uses one per core. The output does not depend on it.</summary>
    public int Workers { get; init; }
    public ErrorPolicy OnError { get; init; } = ErrorPolicy.Stop;
    /// <summary>When set, the test split is this share of the training records, taken by whole tracks; Final_Test is not read.</summary>
    public double? TestFraction { get; init; }
    /// <summary>When set, at most this many records per class are read from each source split (the first ones, in CSV order).</summary>
    public int? LimitPerClass { get; init; }
    /// <summary>A labelled test CSV (<c>GT-final_test.csv</c>) that is not beside the test images.</summary>
    public string? TestCsv { get; init; }
    public SegmenterOptions Segmenter { get; init; } = new();

    public void Validate()
    {
        if (ImageSize is < 4 or > 1024) throw new MaskbenchException($"--size must be 4 to 1024, got {ImageSize}");
        if (CropMargin is < 0 or > 1) throw new MaskbenchException($"the crop margin must be 0 to 1, got {CropMargin}");
        if (TestFraction is double f && (f <= 0 || f >= 1)) throw new MaskbenchException(
            $"--test-fraction must be between 0 and 1 (exclusive), got {f}");
        if (LimitPerClass is int n && n < 1) throw new MaskbenchException($"--limit-per-class must be at least 1, got {n}");
        if (Workers < 0) throw new MaskbenchException($"--workers must be 0 (all cores) or more, got {Workers}");
    }
}
