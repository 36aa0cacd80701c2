using Maskbench.Attacks;

namespace Maskbench.Tests.Attacks;

/// <summary>The library refuses settings that would silently give wrong figures, whoever calls it.</summary>
public class AttackRegistryTests
{
    [Theory]
    [InlineData(0, null, 1, "steps")]
    [InlineData(-3, null, 1, "steps")]
    [InlineData(null, -1.0, 1, "step size")]
    [InlineData(null, 2.0, 1, "step size")]
    [InlineData(null, null, 0, "restarts")]
    public void Settings_that_would_skip_or_distort_the_attack_are_refused(int? steps, double? stepSize, int restarts, string named)
    {
        var e = Assert.Throws<MaskbenchException>(() => AttackRegistry.Create(
            new AttackRequest { Name = "pgd", Steps = steps, StepSize = stepSize, Restarts = restarts }));
        Assert.Contains(named, e.Message);
    }

    [Fact]
    public void The_restarts_asked_for_are_the_restarts_run()
    {
        var pgd = Assert.IsType<PgdAttack>(AttackRegistry.Create(new AttackRequest { Name = "pgd", Steps = 3, Restarts = 4 }));
        Assert.Equal(4, pgd.Restarts);
        Assert.Equal(3, pgd.Steps);
    }
}

/// <summary>The registry holds each attack's name, default and binding once; help, docs and grid read it.</summary>
public class AttackRegistryEntriesTests
{
    [Fact]
    public void Defaults_are_the_literature_ones_and_the_classes_agree()
    {
        Assert.Equal(20, AttackRegistry.Find("pgd").DefaultSteps);          // the paper's PGD-20 (Madry et al.'s CIFAR-10 evaluation)
        Assert.Equal(100, AttackRegistry.Find("apgd-ce").DefaultSteps);     // Croce and Hein 2020
        Assert.Equal(100, AttackRegistry.Find("apgd-t").DefaultSteps);
        Assert.Equal(5000, AttackRegistry.Find("square").DefaultSteps);     // AutoAttack's standard Square
        // A request without a budget gets the registry's, and so does a class built without one.
        Assert.Equal(new PgdAttack().Steps, Assert.IsType<PgdAttack>(AttackRegistry.Create(new AttackRequest { Name = "pgd" })).Steps);
        Assert.Equal(new SquareAttack().Steps, Assert.IsType<SquareAttack>(AttackRegistry.Create(new AttackRequest { Name = "square" })).Steps);
        Assert.Equal(new ApgdAttack().Steps, Assert.IsType<ApgdAttack>(AttackRegistry.Create(new AttackRequest { Name = "apgd-dlr" })).Steps);
    }

    [Fact]
    public void Every_entry_builds_the_attack_it_names()
    {
        foreach (var entry in AttackRegistry.All)
            Assert.Equal(entry.Name, AttackRegistry.Create(new AttackRequest { Name = entry.Name, Steps = 2 }).Name);
        var e = Assert.Throws<MaskbenchException>(() => AttackRegistry.Create(new AttackRequest { Name = "pgd2" }));
        Assert.Contains("apgd-dlr", e.Message);
    }

    [Fact]
    public void The_suite_passes_steps_and_restarts_to_every_member()
    {
        var suite = Assert.IsType<AttackEnsemble>(AttackRegistry.Create(new AttackRequest { Name = "suite", Steps = 7, Restarts = 3, Seed = 5 }));
        Assert.Equal(["apgd-ce", "apgd-t", "square"], suite.Members.Select(m => m.Name));
        var ce = Assert.IsType<ApgdAttack>(suite.Members[0]);
        var t = Assert.IsType<ApgdAttack>(suite.Members[1]);
        var square = Assert.IsType<SquareAttack>(suite.Members[2]);
        Assert.Equal((7, 3, 5), (ce.Steps, ce.Restarts, ce.Seed));
        Assert.Equal((7, 3, 9), (t.Steps, t.Restarts, t.TargetClasses));
        Assert.Equal(7, square.Steps);
        // Left out, every member keeps its own literature default.
        var defaults = Assert.IsType<AttackEnsemble>(AttackRegistry.Create(new AttackRequest { Name = "suite" }));
        Assert.Equal([100, 100, 5000], defaults.Members.Select(m => m switch { ApgdAttack a => a.Steps, SquareAttack s => s.Steps, _ => -1 }));
    }

    [Fact]
    public void Help_text_lists_every_attack_and_every_default()
    {
        foreach (var entry in AttackRegistry.All)
        {
            Assert.Contains(entry.Name, AttackRegistry.NameList);
            if (entry.DefaultSteps is int steps) Assert.Contains(steps.ToString(System.Globalization.CultureInfo.InvariantCulture),
                AttackRegistry.DefaultsText);
        }
        Assert.Equal(AttackRegistry.All.Count, AttackRegistry.NameList.Split([", ", " or "], StringSplitOptions.None).Length);
    }

    [Fact]
    public void The_attack_reference_page_lists_every_attack_with_its_default()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Maskbench.slnx"))) root = Path.GetDirectoryName(root)
            ?? throw new InvalidOperationException("repository root not found");
        var rows = File.ReadAllLines(Path.Combine(root, "docs", "attacks.md")).Where(l => l.StartsWith("| `", StringComparison.Ordinal)).ToList();
        foreach (var entry in AttackRegistry.All)
        {
            string? row = rows.FirstOrDefault(r => r.StartsWith($"| `{entry.Name}` |", StringComparison.Ordinal));
            Assert.True(row is not null, $"docs/attacks.md has no row for {entry.Name}");
            if (entry.DefaultSteps is int steps) Assert.Contains($"| {steps} ", row);
        }
    }

    [Fact]
    public void The_grid_suite_is_the_registry_entries_marked_for_it()
    {
        Assert.Equal(["apgd-ce", "apgd-dlr", "square"], AttackRegistry.GridSuite.Select(e => e.Name));
    }
}
