using System.Text.Json.Serialization;

namespace Maskbench.Masks.Learned;

/// <summary>
/// Everything needed to rebuild a <see cref="MaskUNet"/> with identical parameter shapes: input geometry, the width of
/// the first level (each level below doubles it) and the number of poolings. Serialized into masker.json and model.json.
/// </summary>
public sealed record MaskerSpec
{
    /// <summary>Side S of the square input; divisible by 2^<see cref="Depth"/>.</summary>
    public required int InputSize { get; init; }
    public int Channels { get; init; } = 3;
    /// <summary>Channels of the first level; level k has BaseWidth·2^k.</summary>
    public int BaseWidth { get; init; } = 16;
    /// <summary>Poolings between the input and the bottleneck.</summary>
    public int Depth { get; init; } = 3;

    [JsonIgnore]
    public string Description => $"U-Net ({Channels}x{InputSize}x{InputSize} -> 1x{InputSize}x{InputSize}, base width {BaseWidth}, depth {Depth})";

    public void Validate()
    {
        if (Channels is not (1 or 3)) throw new MaskbenchException($"a masker takes 1 or 3 channels, not {Channels}");
        if (BaseWidth < 1) throw new MaskbenchException($"masker base width must be ≥ 1, got {BaseWidth}");
        if (Depth < 1 || Depth > 6) throw new MaskbenchException($"masker depth must be 1..6, got {Depth}");
        if (InputSize < 1 << Depth || InputSize % (1 << Depth) != 0)
            throw new MaskbenchException($"a depth-{Depth} U-Net needs an input side divisible by {1 << Depth}, got {InputSize}");
    }
}
