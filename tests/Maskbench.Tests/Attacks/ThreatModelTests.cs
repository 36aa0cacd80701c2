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
}
