namespace Maskbench.Models;

/// <summary>Builds a classifier from its <see cref="ModelSpec"/> (or from the command line's short arguments).</summary>
public static class ModelFactory
{
    public static readonly IReadOnlyList<string> Architectures = ["vgg11", "vgg13", "vgg16", "vgg19", "preactresnet18", "smallcnn"];

    public static ImageClassifier Create(ModelSpec spec) => Validated(spec).Arch switch
    {
        "vgg11" => new Vgg(11, spec),
        "vgg13" => new Vgg(13, spec),
        "vgg16" => new Vgg(16, spec),
        "vgg19" => new Vgg(19, spec),
        "preactresnet18" => new PreActResNet18(spec),
        "smallcnn" => new SmallCnn(spec),
        _ => throw new MaskbenchException($"unknown architecture '{spec.Arch}'; known: {string.Join(", ", Architectures)}"),
    };

    /// <summary>The spec itself after the checks <see cref="Create(ModelSpec)"/> makes, without building the model.</summary>
    public static ModelSpec Validated(ModelSpec spec)
    {
        if (spec.Classes < 2) throw new MaskbenchException($"a classifier needs at least 2 classes, got {spec.Classes}");
        if (spec.Channels is not (1 or 3)) throw new MaskbenchException($"channels must be 1 or 3, got {spec.Channels}");
        if (!(spec.Width > 0) || spec.Width > 16) throw new MaskbenchException($"width multiplier must be in (0, 16], got {spec.Width}");
        if (!Architectures.Contains(spec.Arch.ToLowerInvariant()))
            throw new MaskbenchException($"unknown architecture '{spec.Arch}'; known: {string.Join(", ", Architectures)}");
        return spec.Arch == spec.Arch.ToLowerInvariant() ? spec : spec with { Arch = spec.Arch.ToLowerInvariant() };
    }

    /// <summary>A model with the default normalization (mean 0.5, std 0.5 per channel).</summary>
    public static ImageClassifier Create(string arch, int classes, int inputSize, int channels = 3, double width = 1.0, bool masked = false) =>
        Create(Spec(arch, classes, inputSize, channels, width, masked));

    /// <summary>The checked spec of that model (default normalization), for callers that need only its description.</summary>
    public static ModelSpec Spec(string arch, int classes, int inputSize, int channels = 3, double width = 1.0, bool masked = false)
    {
        var (mean, std) = ModelSpec.DefaultNormalization(channels);
        return Validated(new ModelSpec
        {
            Arch = arch.ToLowerInvariant(), Classes = classes, InputSize = inputSize, Channels = channels,
            Width = width, Mean = mean, Std = std, Masked = masked,
        });
    }
}
