using static TorchSharp.torch;

namespace Maskbench.Attacks;

/// <summary>The objective an attack maximizes, per example.</summary>
public enum AttackLoss
{
    /// <summary>Cross-entropy of the true label (targeted: minus the cross-entropy of the target).</summary>
    CrossEntropy,
    /// <summary>Carlini-Wagner margin max_{j≠y} z_j − z_y (targeted: z_t − max_{j≠t} z_j).</summary>
    Margin,
    /// <summary>Difference of logits ratio, Croce and Hein 2020, eq. 5 (targeted: their targeted DLR).</summary>
    Dlr,
}

/// <summary>Per-example losses on logits (N x K, float32), written so that larger means more adversarial.</summary>
public static class AttackObjectives
{
    /// <summary>z_y − max_{j≠y} z_j: positive when y is the top class.</summary>
    public static Tensor Margin(Tensor logits, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var z = logits.to_type(ScalarType.Float32);
        var own = z.gather(1, labels.unsqueeze(1)).squeeze(1);
        var others = z.scatter(1, labels.unsqueeze(1), full_like(own.unsqueeze(1), float.NegativeInfinity));
        return (own - others.max(1).values).MoveToOuterDisposeScope();
    }

    /// <summary>True where the prediction (first argmax) is not the label.</summary>
    public static Tensor Misclassified(Tensor logits, Tensor labels) => logits.argmax(1).ne(labels);

    /// <summary>
    /// The loss to maximize. <paramref name="targets"/> (or null for an untargeted attack) are the classes the
    /// targeted forms push toward.
    /// </summary>
    public static Tensor Evaluate(AttackLoss loss, Tensor logits, Tensor labels, Tensor? targets)
    {
        using var scope = NewDisposeScope();
        var z = logits.to_type(ScalarType.Float32);
        Tensor result = (loss, targets is null) switch
        {
            (AttackLoss.CrossEntropy, true) => nn.functional.cross_entropy(z, labels, reduction: nn.Reduction.None),
            (AttackLoss.CrossEntropy, false) => -nn.functional.cross_entropy(z, targets!, reduction: nn.Reduction.None),
            (AttackLoss.Margin, true) => -Margin(z, labels),
            (AttackLoss.Margin, false) => Margin(z, targets!),
            (AttackLoss.Dlr, true) => Dlr(z, labels),
            _ => TargetedDlr(z, labels, targets!),
        };
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>DLR = −(z_y − max_{j≠y} z_j) / (z_π1 − z_π3), π the logits sorted in decreasing order (needs ≥ 3 classes).</summary>
    public static Tensor Dlr(Tensor z, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var sorted = z.sort(1, descending: true).Values;
        var scale = sorted.select(1, 0) - sorted.select(1, 2) + 1e-12f;
        return (-Margin(z, labels) / scale).MoveToOuterDisposeScope();
    }

    /// <summary>Targeted DLR = −(z_y − z_t) / (z_π1 − (z_π3 + z_π4)/2) (needs ≥ 4 classes).</summary>
    public static Tensor TargetedDlr(Tensor z, Tensor labels, Tensor targets)
    {
        using var scope = NewDisposeScope();
        var sorted = z.sort(1, descending: true).Values;
        var scale = sorted.select(1, 0) - (sorted.select(1, 2) + sorted.select(1, 3)) / 2 + 1e-12f;
        var gap = z.gather(1, labels.unsqueeze(1)).squeeze(1) - z.gather(1, targets.unsqueeze(1)).squeeze(1);
        return (-gap / scale).MoveToOuterDisposeScope();
    }

    /// <summary>For each example the class ranked <paramref name="rank"/> (1 = best) among those other than its label.</summary>
    public static Tensor RankedTarget(Tensor logits, Tensor labels, int rank)
    {
        using var scope = NewDisposeScope();
        var z = logits.to_type(ScalarType.Float32).scatter(1, labels.unsqueeze(1), full(new long[] { labels.shape[0], 1 }, float.NegativeInfinity));
        var order = z.argsort(1, descending: true);
        return order.select(1, rank - 1).MoveToOuterDisposeScope();
    }
}
