using Maskbench.Attacks;
using Maskbench.Runtime;
using static TorchSharp.torch;

namespace Maskbench.Tests.Attacks;

public class ThreatModelTests
{
    [Theory]
    [InlineData(Norm.Linf, 8.0 / 255)]
    [InlineData(Norm.Linf, 0.3)]
    [InlineData(Norm.L2, 0.5)]
    public void ProjectionOfWildCandidatesSatisfiesEveryConstraintExactly(Norm norm, double epsilon)
    {
        using var scope = NewDisposeScope();
        for (int seed = 0; seed < 20; seed++)
        {
            var x = AttackFixtures.Inputs(seed, 6);
            var mask = AttackFixtures.Masks(seed, 6);
            var threat = new ThreatModel(norm, epsilon, mask);
            var candidate = x + (AttackFixtures.Inputs(seed + 100, 6) - 0.5) * 3;
            var projected = threat.Project(candidate, x);
            Assert.Empty(threat.Check(x, projected));
            Assert.Empty(threat.Check(x, threat.RandomStart(x, new Generator((ulong)seed))));
        }
    }

    [Fact]
    public void LinfProjectionIsTheCoordinateClampAndFixedOnAllowedPoints()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new float[] { 0.5f, 0.02f, 0.98f, 0.5f }).reshape(1, 1, 2, 2);
        var mask = tensor(new float[] { 1, 1, 1, 0 }).reshape(1, 1, 2, 2);
        var threat = ThreatModel.Linf(0.1, mask);
        var candidate = tensor(new float[] { 0.9f, -0.5f, 1.5f, 0.7f }).reshape(1, 1, 2, 2);
        var p = threat.Project(candidate, x).flatten().data<float>().ToArray();
        Assert.Equal(0.6, p[0], 6);
        Assert.Equal(0.0, p[1], 6);   // box wins over the ball
        Assert.Equal(1.0, p[2], 6);
        Assert.Equal(0.5f, p[3]);      // off the mask: untouched
        var inside = tensor(new float[] { 0.55f, 0.0f, 1.0f, 0.5f }).reshape(1, 1, 2, 2);
        Assert.Equal(inside.data<float>().ToArray(), threat.Project(inside, x).data<float>().ToArray());
    }

    [Fact]
    public void CheckReportsEachKindOfViolation()
    {
        using var scope = NewDisposeScope();
        var x = full(new long[] { 1, 1, 2, 2 }, 0.5f);
        var mask = tensor(new float[] { 1, 1, 1, 0 }).reshape(1, 1, 2, 2);
        var threat = ThreatModel.Linf(0.1, mask);
        var bad = tensor(new float[] { 0.7f, 0.5f, 0.5f, 0.55f }).reshape(1, 1, 2, 2);
        var problems = threat.Check(x, bad);
        Assert.Contains(problems, p => p.Contains("above ε"));
        Assert.Contains(problems, p => p.Contains("off the mask"));
        Assert.Contains(threat.Check(x, full(new long[] { 1, 1, 2, 2 }, 1.2f)), p => p.Contains("box"));
    }

    static int[] Bits(Tensor t) => t.contiguous().flatten().data<float>().ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();

    /// <summary>
    /// Candidates that probe every edge of the L∞ set: uniform ones well beyond the ball and box, each bound exactly and
    /// one ulp on either side of it, x itself, and the box's ends, on inputs with exact 0s and 1s.
    /// </summary>
    static IEnumerable<Tensor> EdgeCandidates(Tensor x, LinfBounds bounds, int seed)
    {
        var up = full_like(x, float.PositiveInfinity);
        var down = full_like(x, float.NegativeInfinity);
        yield return x + (AttackFixtures.Inputs(seed + 200, (int)x.shape[0]) - 0.5) * 0.2;
        yield return x + (AttackFixtures.Inputs(seed + 300, (int)x.shape[0]) - 0.5) * 3;
        foreach (var bound in new[] { bounds.Lower, bounds.Upper })
        {
            yield return bound;
            yield return bound.nextafter(up);
            yield return bound.nextafter(down);
        }
        yield return x;
        yield return zeros_like(x);
        yield return ones_like(x);
        yield return x + 10;
        yield return x - 10;
    }

    [Theory]
    [InlineData(8.0 / 255, false)]
    [InlineData(8.0 / 255, true)]
    [InlineData(0.3, true)]
    [InlineData(0.0, false)]
    public void Clamping_between_the_Linf_bounds_is_the_projection_bit_for_bit(double epsilon, bool masked)
    {
        using var scope = NewDisposeScope();
        for (int seed = 0; seed < 10; seed++)
        {
            // Inputs with exact 0s and 1s (where the box and the ball meet) among the random ones.
            var x = AttackFixtures.Inputs(seed, 6, low: -0.2, high: 1.2).clamp(0, 1);
            var threat = ThreatModel.Linf(epsilon, masked ? AttackFixtures.Masks(seed, 6) : null);
            using var bounds = threat.BoundsAround(x)!;
            Assert.Empty(threat.Check(x, bounds.Lower));
            Assert.Empty(threat.Check(x, bounds.Upper));
            foreach (var edge in EdgeCandidates(x, bounds, seed))
            {
                // One ulp beside a bound of 0 is subnormal, which the float64 projection reads as 0 (libtorch's
                // conversions flush subnormals); no image, step or start ever is one.
                var candidate = where(edge.abs() < 1.1754944e-38f, zeros_like(edge), edge);
                Assert.Equal(Bits(threat.Project(candidate, x)), Bits(bounds.Project(candidate)));
            }
            // Float64 candidates (random starts) round to float32 first, where rounding may cross a bound.
            var wide = x.to_type(ScalarType.Float64) + (AttackFixtures.Inputs(seed + 400, 6).to_type(ScalarType.Float64) * 2 - 1)
                * (epsilon * 1.01 + 1e-9);
            Assert.Equal(Bits(threat.Project(wide, x)), Bits(bounds.Project(wide)));
            var between = (bounds.Lower.to_type(ScalarType.Float64) + bounds.Upper.to_type(ScalarType.Float64)) / 2
                          + (bounds.Upper.to_type(ScalarType.Float64) - bounds.Lower.to_type(ScalarType.Float64)) * 0.5000001;
            Assert.Equal(Bits(threat.Project(between, x)), Bits(bounds.Project(between)));
            Assert.Equal(Bits(threat.RandomStart(x, new Generator((ulong)seed))), Bits(threat.RandomStart(x, new Generator((ulong)seed), bounds)));
        }
    }

    [Fact]
    public void There_are_no_bounds_for_L2_or_a_fractional_mask()
    {
        using var scope = NewDisposeScope();
        var x = AttackFixtures.Inputs(1, 2);
        Assert.Null(ThreatModel.L2(0.5).BoundsAround(x));
        Assert.Null(ThreatModel.Linf(0.1, full(new long[] { 2, 1, 8, 8 }, 0.5f)).BoundsAround(x));
        Assert.NotNull(ThreatModel.Linf(0.1, AttackFixtures.Masks(1, 2)).BoundsAround(x));
    }
}
