using TorchSharp;
using static TorchSharp.torch;

namespace Maskbench.Attacks;

/// <summary>How the pipeline turns the masker's output into the mask it multiplies the image by.</summary>
public enum MaskMode
{
    /// <summary>sigmoid(logit) ∈ (0,1): differentiable end to end.</summary>
    Soft,
    /// <summary>1[sigmoid(logit) ≥ 0.5]: the deployed binary mask, with no useful gradient.</summary>
    Threshold,
}

/// <summary>What gradient attacks differentiate in place of the pipeline (the forward decision is always the exact pipeline).</summary>
public enum GradientPath
{
    /// <summary>
    /// The non-adaptive attacker: the classifier behind the mask the defender predicted on the clean input, held
    /// fixed, so the masker is ignored (how the oracle-mask models are attacked).
    /// </summary>
    FixedCleanMask,
    /// <summary>
    /// End to end through the soft mask σ(logit): exact for <see cref="MaskMode.Soft"/>, the soft pipeline as a surrogate for a thresholded one.
    /// </summary>
    ThroughSoftMask,
    /// <summary>
    /// BPDA (Athalye, Carlini and Wagner 2018) with the straight-through estimator: the forward pass uses the
    /// thresholded mask, the backward pass treats the threshold as a line of slope σ'(0) = 1/4 in the logit
    /// (<see cref="Binarize"/> on logit/4), which does not vanish where the sigmoid saturates.
    /// </summary>
    StraightThrough,
}

/// <summary>
/// The pipeline image → predicted mask → masked image → classifier as an attack target: logits are
/// classifier(x ⊙ m(x)) where m(x) comes from the masker (a module returning N x 1 x H x W mask logits)
/// on the same, possibly perturbed, input. <see cref="GradientPath"/> chooses what gradients flow through.
/// </summary>
public sealed class PredictedMaskTarget : IAttackTarget
{
    readonly nn.Module<Tensor, Tensor> _masker;
    readonly IAttackTarget _classifier;
    readonly Tensor? _cleanMask;
    static readonly Binarize Threshold = new(0.5);
    static readonly Binarize LogitThreshold = new(0.0);

    public MaskMode Mode { get; }
    public GradientPath Path { get; }

    /// <param name="masker">Mask logits of an input in [0,1].</param>
    /// <param name="classifier">The classifier of masked images (a target without an input mask of its own).</param>
    /// <param name="cleanInputs">The clean batch, required for <see cref="GradientPath.FixedCleanMask"/>.</param>
    public PredictedMaskTarget(nn.Module<Tensor, Tensor> masker, IAttackTarget classifier, MaskMode mode, GradientPath path,
        Tensor? cleanInputs = null)
    {
        if (mode == MaskMode.Soft && path == GradientPath.StraightThrough)
            throw new ArgumentException("the straight-through estimator replaces a threshold; a soft-mask pipeline has none", nameof(path));
        _masker = masker;
        _classifier = classifier;
        Mode = mode;
        Path = path;
        if (path == GradientPath.FixedCleanMask)
        {
            if (cleanInputs is null) throw new ArgumentException("the fixed-clean-mask path needs the clean inputs", nameof(cleanInputs));
            using (no_grad()) _cleanMask = PredictMask(cleanInputs).detach().DetachFromDisposeScope();
        }
    }

    PredictedMaskTarget(PredictedMaskTarget source, IAttackTarget classifier, Tensor? cleanMask)
    {
        _masker = source._masker;
        _classifier = classifier;
        Mode = source.Mode;
        Path = source.Path;
        _cleanMask = cleanMask;
    }

    /// <summary>The mask the pipeline multiplies by (N x 1 x H x W): soft or thresholded, as <see cref="Mode"/> says.</summary>
    public Tensor PredictMask(Tensor inputs)
    {
        using var scope = NewDisposeScope();
        var soft = _masker.call(inputs).sigmoid();
        return (Mode == MaskMode.Soft ? soft : Threshold.Forward(soft)).MoveToOuterDisposeScope();
    }

    public Tensor Logits(Tensor inputs)
    {
        using var scope = NewDisposeScope();
        return _classifier.Logits(inputs * PredictMask(inputs)).MoveToOuterDisposeScope();
    }

    public Tensor LogitsForGradient(Tensor inputs)
    {
        using var scope = NewDisposeScope();
        Tensor mask = Path switch
        {
            GradientPath.FixedCleanMask => _cleanMask!,
            GradientPath.ThroughSoftMask => _masker.call(inputs).sigmoid(),
            // Straight through on the logit scale at the sigmoid's slope at the threshold, σ'(0) = 1/4: the value is
            // 1[z ≥ 0] = 1[σ(z) ≥ 0.5], the derivative 1/4 for every pixel, so confident pixels (where σ saturates
            // and its own derivative is 0 in float32) still pass gradient.
            _ => LogitThreshold.BackwardSubstitute(_masker.call(inputs) / 4),
        };
        return _classifier.LogitsForGradient(inputs * mask).MoveToOuterDisposeScope();
    }

    public bool GradientLogitsAreExact => Mode == MaskMode.Soft && Path == GradientPath.ThroughSoftMask && _classifier.GradientLogitsAreExact;

    public IAttackTarget Select(Tensor indices) =>
        new PredictedMaskTarget(this, _classifier.Select(indices), _cleanMask?.index_select(0, indices.to(_cleanMask.device)));

    /// <summary>The classifier is readied as its own target does it; the masker goes to eval mode with frozen parameters (float32 only).</summary>
    public IDisposable Prepare(Precision precision)
    {
        if (precision != Precision.Fp32) throw new MaskbenchException($"the predicted-mask pipeline runs in float32 only, not {precision}");
        return new EvaluationMode(_masker, _classifier.Prepare(precision));
    }
}

/// <summary>
/// The first stage of the mask-growth attack (Tramèr et al. 2020's advice to attack each component): a two-logit
/// target [0, g(x)] with label 0, where g(x) = mean over pixels of 1[p outside the region]·log σ(logit_p) ≤ 0, the log-likelihood that
/// the masker calls the area outside the attacker's current region foreground (its gradient, 1 − σ, does not vanish on
/// confidently background pixels, unlike that of Σσ). Cross-entropy is softplus(g),
/// increasing in g, so <see cref="PgdAttack"/> (without early stop) grows the predicted foreground unchanged; g never
/// exceeds 0, so no iterate counts as "fooled" and the attack keeps the iterate of largest g.
/// </summary>
public sealed class MaskGrowthTarget(nn.Module<Tensor, Tensor> masker, Tensor region) : IAttackTarget
{
    public Tensor Logits(Tensor inputs)
    {
        using var scope = NewDisposeScope();
        var foregroundLogLikelihood = nn.functional.logsigmoid(masker.call(inputs)) * (1 - region);
        // The mean, not the sum: softplus(g) saturates for large negative g, and its derivative σ(g) would underflow to 0.
        var g = foregroundLogLikelihood.flatten(1).mean([1], keepdim: true);
        return cat([zeros_like(g), g], 1).MoveToOuterDisposeScope();
    }

    public IAttackTarget Select(Tensor indices) => new MaskGrowthTarget(masker, region.index_select(0, indices.to(region.device)));

    public IDisposable Prepare(Precision precision)
    {
        if (precision != Precision.Fp32) throw new MaskbenchException($"the mask-growth attack runs in float32 only, not {precision}");
        return new EvaluationMode(masker);
    }
}

/// <summary>
/// Holds a module in evaluation mode with its parameters frozen (requires_grad off) until disposed, then restores both,
/// and disposes the inner preparation (another target's preparation) last.
/// </summary>
sealed class EvaluationMode : IDisposable
{
    readonly nn.Module<Tensor, Tensor> _module;
    readonly IDisposable? _inner;
    readonly bool _wasTraining;
    readonly List<(TorchSharp.Modules.Parameter Parameter, bool RequiresGrad)> _saved;

    public EvaluationMode(nn.Module<Tensor, Tensor> module, IDisposable? inner = null)
    {
        _module = module;
        _inner = inner;
        _wasTraining = module.training;
        module.eval();
        _saved = module.parameters().Select(p => (p, p.requires_grad)).ToList();
        foreach (var (p, _) in _saved) p.requires_grad = false;
    }

    public void Dispose()
    {
        foreach (var (p, requiresGrad) in _saved) p.requires_grad = requiresGrad;
        if (_wasTraining) _module.train();
        _inner?.Dispose();
    }
}
