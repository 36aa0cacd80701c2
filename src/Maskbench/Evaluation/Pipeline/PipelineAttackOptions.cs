using Maskbench.Attacks;
using static TorchSharp.torch;

namespace Maskbench.Evaluation.Pipeline;

/// <summary>The adaptive evaluation's settings: one L∞ PGD configuration shared by every attack, so they differ only in target and region.</summary>
public sealed record PipelineAttackOptions
{
    public double Epsilon { get; init; } = 8.0 / 255;
    /// <summary>PGD steps of each classifier attack (step size 2.5 ε / steps).</summary>
    public int Steps { get; init; } = 20;
    /// <summary>PGD steps of the mask-growth stage of <see cref="PipelineAttack.MaskGrowth"/>.</summary>
    public int GrowthSteps { get; init; } = 20;
    public int Restarts { get; init; } = 1;
    public int Seed { get; init; }
    /// <summary>The base region: <see cref="ThreatRegion.Foreground"/> is the defender's mask of the clean image.</summary>
    public ThreatRegion Region { get; init; } = ThreatRegion.Foreground;
    /// <summary>The attacks to run; null runs every one that applies to the mask mode.</summary>
    public IReadOnlyList<PipelineAttack>? Attacks { get; init; }
    public int BatchSize { get; init; } = 100;
    /// <summary>The first N rows of the split (null: all).</summary>
    public int? Limit { get; init; }
    /// <summary>How many attacked examples to keep for the image grid.</summary>
    public int ExamplesToKeep { get; init; } = 4;
    public Device Device { get; init; } = CPU;

    public void Validate()
    {
        if (!(Epsilon > 0) || double.IsInfinity(Epsilon)) throw new MaskbenchException($"ε must be finite and > 0, got {Epsilon}");
        if (Steps < 1 || GrowthSteps < 1 || Restarts < 1) throw new MaskbenchException("PGD steps, growth steps and restarts must be ≥ 1");
        if (BatchSize < 1) throw new MaskbenchException($"batch size must be ≥ 1, got {BatchSize}");
    }
}
