using System.Text.Json.Serialization;

namespace Maskbench.Models;

/// <summary>
/// Everything needed to rebuild a classifier with identical parameter shapes: the architecture name, class count,
/// input geometry, width multiplier and the per-channel normalization the model applies to its [0,1] input.
/// Serialized into run.json and model.json.
/// </summary>
public sealed record ModelSpec
{
    /// <summary>vgg11, vgg13, vgg16, vgg19, preactresnet18 or smallcnn.</summary>
    public required string Arch { get; init; }
    public required int Classes { get; init; }
    /// <summary>Side S of the square input.</summary>
    public required int InputSize { get; init; }
    /// <summary>3 (RGB) or 1 (grey).</summary>
    public int Channels { get; init; } = 3;
    /// <summary>Multiplies every hidden layer's channel count (1 = the published network); slim models for CPU work.</summary>
    public double Width { get; init; } = 1.0;
    /// <summary>Per-channel mean subtracted inside the model.</summary>
    public required float[] Mean { get; init; }
    /// <summary>Per-channel standard deviation divided by inside the model.</summary>
    public required float[] Std { get; init; }
    /// <summary>
    /// True when the model was trained on masked inputs: callers feed it <c>x * mask</c> (the mask broadcast over
    /// channels). The network itself is the same module either way.
    /// </summary>
    public bool Masked { get; init; }

    /// <summary>The normalization used when none is given: mean 0.5, std 0.5 per channel (maps [0,1] to [-1,1]).</summary>
    public static (float[] Mean, float[] Std) DefaultNormalization(int channels) =>
        (Enumerable.Repeat(0.5f, channels).ToArray(), Enumerable.Repeat(0.5f, channels).ToArray());

    /// <summary>Scales a published channel count by <see cref="Width"/>, never below one channel.</summary>
    public int Scaled(int channels) => Math.Max(1, (int)Math.Round(channels * Width, MidpointRounding.AwayFromZero));

    [JsonIgnore]
    public string Description => $"{Arch} ({Channels}x{InputSize}x{InputSize} -> {Classes} classes, width {Width}{(Masked ? ", masked" : "")})";
}
