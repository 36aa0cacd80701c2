using TorchSharp;
using static TorchSharp.torch;

namespace Maskbench.Attacks;

/// <summary>
/// What an adversary may do to a batch: a norm ball of radius ε around each input, the input box [0,1], and an optional
/// per-pixel perturbation mask (N x 1 x H x W, 0/1, broadcast over channels) outside which δ must be exactly 0.
/// Every attack goes through <see cref="Project"/>, so this one type decides whether an adversarial input is allowed.
/// The mask tensor is owned by the caller.
/// </summary>
public sealed class ThreatModel
{
    public Norm Norm { get; }
    public double Epsilon { get; }
    /// <summary>N x 1 x H x W, 1 where δ may be non-zero; null lets every pixel move.</summary>
    public Tensor? Mask { get; }

    public ThreatModel(Norm norm, double epsilon, Tensor? mask = null)
    {
        if (!(epsilon >= 0) || double.IsInfinity(epsilon)) throw new ArgumentOutOfRangeException(nameof(epsilon), "ε must be finite and ≥ 0");
        if (mask is not null && (mask.dim() != 4 || mask.shape[1] != 1))
            throw new ArgumentException($"mask must be N x 1 x H x W, got [{string.Join(", ", mask.shape)}]", nameof(mask));
        Norm = norm;
        Epsilon = epsilon;
        Mask = mask;
    }

    public static ThreatModel Linf(double epsilon, Tensor? mask = null) => new(Norm.Linf, epsilon, mask);
    public static ThreatModel L2(double epsilon, Tensor? mask = null) => new(Norm.L2, epsilon, mask);

    /// <summary>The threat model of a subset of the batch (rows <paramref name="indices"/>, int64).</summary>
    public ThreatModel Select(Tensor indices) =>
        Mask is null ? this : new ThreatModel(Norm, Epsilon, Mask.index_select(0, indices.to(Mask.device)));

    /// <summary>
    /// Maps a candidate onto the allowed set: ε-ball ∩ [0,1] box ∩ {δ = 0 off the mask}. For L∞ this is the exact
    /// Euclidean projection (coordinate-wise clamp). For L2 the ball projection is followed by the box clamp, which
    /// only shrinks |δᵢ| and so stays in the ball (the usual choice, as in Croce and Hein 2020). Computed in float64 and
    /// rounded to float32 so that the constraints hold for the float32 result in exact arithmetic (see <see cref="Check"/>).
    /// </summary>
    public Tensor Project(Tensor candidate, Tensor x)
    {
        using var scope = NewDisposeScope();
        var x64 = x.to_type(ScalarType.Float64);
        var delta = candidate.to_type(ScalarType.Float64) - x64;
        if (Mask is not null) delta = delta * Mask.to_type(ScalarType.Float64);
        if (Norm == Norm.Linf)
        {
            delta = delta.clamp(-Epsilon, Epsilon);
        }
        else
        {
            // Shrink slightly below ε so the float32 rounding of each coordinate (relative error 2^-24) cannot lift the norm over ε.
            var norms = delta.flatten(1).norm(1, keepdim: false).reshape(-1, 1, 1, 1);
            var factor = (Epsilon * (1 - 1e-6) / norms.clamp_min(1e-30)).clamp_max(1.0);
            delta = delta * factor;
        }
        var projected = (x64 + delta).clamp(0.0, 1.0);
        var result = projected.to_type(ScalarType.Float32);
        if (Norm == Norm.Linf) result = PullInside(result, x);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// For L∞ with no mask or a 0/1 mask: the allowed set around <paramref name="x"/> as two float32 tensors, the lowest and
    /// highest value each coordinate may take (the projections of points beyond the ball on either side). Projecting any candidate is then clamping
    /// it between them, bit for bit what <see cref="Project"/> gives (tested; except subnormal candidates, which the
    /// float64 projection reads as 0 and no image or PGD step produces), in two float32 passes instead of a dozen
    /// float64 ones; worth it when one x is projected onto many times (a PGD search). Null for L2 or a fractional mask.
    /// </summary>
    public LinfBounds? BoundsAround(Tensor x)
    {
        if (Norm != Norm.Linf) return null;
        using var scope = NewDisposeScope();
        if (Mask is not null && !(Mask.eq(0) | Mask.eq(1)).all().item<bool>()) return null;
        // What Project gives for candidates beyond the ball on either side: δ clamped to ∓ε (0 off the mask), the box,
        // rounding, and the pull back inside; the same operations, without the ones a known δ makes unnecessary.
        var x64 = x.to_type(ScalarType.Float64);
        var on = Mask?.ne(0);
        Tensor Side(double delta)
        {
            var moved = x64 + delta;
            if (on is not null) moved = where(on, moved, x64);
            return PullInside(moved.clamp(0.0, 1.0).to_type(ScalarType.Float32), x).DetachFromDisposeScope();
        }
        return new LinfBounds(Side(-Epsilon), Side(Epsilon));
    }

    /// <summary>
    /// Rounding the float64 projection to float32 can land half an ulp outside the ball; such values move one ulp back
    /// toward x (which is itself a float32, so they never pass it).
    /// </summary>
    Tensor PullInside(Tensor result, Tensor x)
    {
        var xf = x.to_type(ScalarType.Float32);
        for (int round = 0; round < 4; round++)
        {
            var over = (result.to_type(ScalarType.Float64) - xf.to_type(ScalarType.Float64)).abs() > Epsilon;
            if (!over.any().item<bool>()) return result;
            result = where(over, result.nextafter(xf), result);
        }
        return result;
    }

    /// <summary>
    /// A random point of the allowed set: uniform in the L∞ box, or a uniformly random direction with radius ε·u for L2,
    /// then projected. The noise is drawn for the whole batch from <paramref name="generator"/>, so a row's start does
    /// not depend on which other rows are present when callers index the result.
    /// </summary>
    /// <param name="bounds">This threat model's <see cref="BoundsAround"/> of <paramref name="x"/>, if the caller has them: the
    /// start is then clamped between them, the same values as projecting.</param>
    public Tensor RandomStart(Tensor x, Generator generator, LinfBounds? bounds = null)
    {
        using var scope = NewDisposeScope();
        var shape = x.shape;
        Tensor delta;
        if (Norm == Norm.Linf)
        {
            delta = (rand(shape, ScalarType.Float64, generator: generator) * 2 - 1) * Epsilon;
        }
        else
        {
            var direction = randn(shape, ScalarType.Float64, generator: generator);
            var radius = rand(new long[] { shape[0], 1, 1, 1 }, ScalarType.Float64, generator: generator) * Epsilon;
            delta = direction / direction.flatten(1).norm(1, keepdim: false).clamp_min(1e-30).reshape(-1, 1, 1, 1) * radius;
        }
        var candidate = x.to_type(ScalarType.Float64).cpu() + delta;
        if (bounds is not null) return bounds.Project(candidate.to(x.device)).MoveToOuterDisposeScope();
        return Project(candidate, x.cpu()).to(x.device).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Lists every way <paramref name="adversarial"/> breaks this threat model, in exact arithmetic on the float32 values
    /// (differences taken in float64, where they are exact). Empty when it is allowed.
    /// </summary>
    public IReadOnlyList<string> Check(Tensor x, Tensor adversarial)
    {
        using var scope = NewDisposeScope();
        var problems = new List<string>();
        if (!adversarial.shape.SequenceEqual(x.shape))
        {
            problems.Add($"shape [{string.Join(", ", adversarial.shape)}] differs from the input's [{string.Join(", ", x.shape)}]");
            return problems;
        }
        if (adversarial.dtype != ScalarType.Float32) problems.Add($"adversarial inputs are {adversarial.dtype}, expected Float32");
        var delta = adversarial.to_type(ScalarType.Float64) - x.to_type(ScalarType.Float64);
        double size = Norm == Norm.Linf ? delta.abs().max().item<double>() : delta.flatten(1).norm(1, keepdim: false).max().item<double>();
        if (size > Epsilon) problems.Add($"{Norm} norm of δ reaches {size:R}, above ε = {Epsilon:R}");
        double low = adversarial.min().item<float>(), high = adversarial.max().item<float>();
        if (low < 0 || high > 1) problems.Add($"values leave the box [0,1]: min {low:R}, max {high:R}");
        if (Mask is not null)
        {
            var off = delta.abs() * (1 - Mask.to_type(ScalarType.Float64));
            double leak = off.max().item<double>();
            if (leak > 0) problems.Add($"δ is non-zero off the mask (up to {leak:R})");
        }
        if (adversarial.isnan().any().item<bool>()) problems.Add("adversarial inputs contain NaN");
        return problems;
    }
}

/// <summary>
/// The L∞ threat set around one batch as per-coordinate float32 bounds (<see cref="ThreatModel.BoundsAround"/>).
/// Why clamping equals <see cref="ThreatModel.Project"/>: every float32 value between the bounds is allowed, so the
/// projection leaves it as it is; a candidate beyond a bound has its δ clamped to ±ε (or its value to the box), which
/// is how the bound itself was computed; a float64 candidate rounds to float32 first, and where rounding crosses a
/// bound the projection's one-ulp pull back lands on that bound. Off a 0/1 mask both bounds equal x.
/// </summary>
public sealed class LinfBounds(Tensor lower, Tensor upper) : IDisposable
{
    public Tensor Lower { get; } = lower;
    public Tensor Upper { get; } = upper;

    /// <summary><see cref="ThreatModel.Project"/> of <paramref name="candidate"/> (float32 or float64), as float32.</summary>
    public Tensor Project(Tensor candidate) => Project(candidate, Lower, Upper);

    /// <summary>The same with bounds held elsewhere (a search's per-row state): <paramref name="candidate"/> between them, as float32.</summary>
    public static Tensor Project(Tensor candidate, Tensor lower, Tensor upper)
    {
        using var scope = NewDisposeScope();
        var rounded = candidate.dtype == ScalarType.Float32 ? candidate : candidate.to_type(ScalarType.Float32);
        return rounded.clamp(lower, upper).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        Lower.Dispose();
        Upper.Dispose();
    }
}
