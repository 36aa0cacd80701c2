using System.Text.Json.Serialization;

namespace Maskbench.Masks;

/// <summary>
/// Where the masks a model multiplies its input by come from (the kinds of Masks.Sources.MaskSource), for run folders,
/// results and reports that must tell them apart.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<MaskKind>))]
public enum MaskKind
{
    /// <summary>No mask: the model sees the whole image.</summary>
    None,
    /// <summary>The dataset's stored foreground masks (the paper's oracle masks).</summary>
    GroundTruth,
    /// <summary>The random-mask control.</summary>
    RandomTwin,
    /// <summary>Masks predicted by a trained U-Net masker.</summary>
    Predicted,
}
