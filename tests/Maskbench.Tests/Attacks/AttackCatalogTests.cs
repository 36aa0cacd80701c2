using Maskbench.Attacks;

namespace Maskbench.Tests.Attacks;

/// <summary>The library refuses settings that would silently give wrong figures, whoever calls it.</summary>
public class AttackCatalogTests
{
    [Theory]
    [InlineData(0, null, 1, "steps")]
    [InlineData(-3, null, 1, "steps")]
    [InlineData(null, -1.0, 1, "step size")]
    [InlineData(null, 2.0, 1, "step size")]
    [InlineData(null, null, 0, "restarts")]
    public void Settings_that_would_skip_or_distort_the_attack_are_refused(int? steps, double? stepSize, int restarts, string named)
    {
        var e = Assert.Throws<MaskbenchException>(() => AttackCatalog.Create(new AttackRequest { Name = "pgd", Steps = steps, StepSize = stepSize, Restarts = restarts }));
        Assert.Contains(named, e.Message);
    }

    [Fact]
    public void The_restarts_asked_for_are_the_restarts_run()
    {
        var pgd = Assert.IsType<PgdAttack>(AttackCatalog.Create(new AttackRequest { Name = "pgd", Steps = 3, Restarts = 4 }));
        Assert.Equal(4, pgd.Restarts);
        Assert.Equal(3, pgd.Steps);
    }
}
