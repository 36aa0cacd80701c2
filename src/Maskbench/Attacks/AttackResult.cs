using static TorchSharp.torch;

namespace Maskbench.Attacks;

/// <summary>
/// What an attack did to one example. <see cref="Step"/> is the iterate that first fooled the model (0 = the clean
/// input was already misclassified), or −1. Loss and margin are measured by the float32 model at the returned input;
/// the margin is z_y − max_{j≠y} z_j (negative when fooled). <see cref="FooledBy"/> names the attack that fooled it
/// ("clean" when the unperturbed input was already misclassified).
/// </summary>
public sealed record ExampleRecord(bool Fooled, int Step, double Loss, double Margin, string? FooledBy);

/// <summary>
/// The outcome of an attack on a batch: adversarial inputs (float32, allowed by the threat model exactly), one record
/// per example, and the cost (example-gradients: one per example per backward pass; example-forwards likewise).
/// </summary>
public sealed class AttackResult : IDisposable
{
    public required string Attack { get; init; }
    /// <summary>N x C x H x W float32; the caller disposes it (or the result).</summary>
    public required Tensor Adversarial { get; init; }
    public required IReadOnlyList<ExampleRecord> Examples { get; init; }
    public long GradientEvaluations { get; init; }
    public long ForwardEvaluations { get; init; }
    public TimeSpan Elapsed { get; init; }

    public int Count => Examples.Count;
    public int FooledCount => Examples.Count(e => e.Fooled);
    /// <summary>Fraction of examples classified correctly at their adversarial input.</summary>
    public double RobustAccuracy => Count == 0 ? double.NaN : 1.0 - (double)FooledCount / Count;

    public void Dispose() => Adversarial.Dispose();
}
