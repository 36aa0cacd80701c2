using Maskbench.Masks.Sources;
using System.Security.Cryptography;
using System.Text;
using Maskbench.Experiments;

namespace Maskbench.Tests.Experiments;

public class CellKeyTests
{
    static readonly GridModel Model = new("natural-plain", "natural", new Maskbench.Masks.Sources.MaskSource.NoMask(), "vgg19", 0.125, 3, 64, 0.01,
        1000, 0, 0, 0, 7);
    static readonly GridAttack Attack = new("pgd", 8 / 255.0, 2 / 255.0, 20, 1, Maskbench.Attacks.ThreatRegion.Full, 100, 3);

    [Fact]
    public void KeyIsTheSha256OfTheDocumentedCanonicalText()
    {
        var parameters = new Dictionary<string, string> { ["b"] = "2", ["a"] = "x=1" };
        var inputs = new Dictionary<string, string> { ["dataset.sha256"] = "ff" };
        // Independent oracle: the canonical text written out by hand, sorted by name, lengths before values.
        string text = "maskbench-cell/1\np 1:a=3:x=1\np 1:b=1:2\ni 14:dataset.sha256=2:ff\n";
        string expected = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..20];
        Assert.Equal(expected, CellKey.Compute(parameters, inputs));
        var reordered = new Dictionary<string, string> { ["a"] = "x=1", ["b"] = "2" };
        Assert.Equal(expected, CellKey.Compute(reordered, inputs));
    }

    [Fact]
    public void EveryPropertyOfModelAndAttackIsAParameter()
    {
        int modelProperties = typeof(GridModel).GetProperties().Count(p => p.CanWrite);
        int attackProperties = typeof(GridAttack).GetProperties().Count(p => p.CanWrite);
        // The training precision enters only when it is not float32 (float32 keys stay those they always were).
        Assert.Equal(modelProperties, (Model with { Precision = Maskbench.Attacks.Precision.Bf16 }).ToParameters().Count);
        Assert.Equal(modelProperties - 1, Model.ToParameters().Count);
        Assert.Equal(attackProperties, Attack.ToParameters().Count);
    }

    [Fact]
    public void ChangingAnyParameterOrInputChangesTheKey()
    {
        var cell = CellSpec.ForEvaluation(Model, "pgd", Attack, "pgd");
        var inputs = new Dictionary<string, string> { ["dataset.sha256"] = "aa", ["model.checkpointSha256"] = "bb" };
        string baseKey = CellKey.Compute(cell.Parameters(), inputs);
        var seen = new HashSet<string> { baseKey };
        foreach (var name in cell.Parameters().Keys)
        {
            var changed = cell.Parameters();
            changed[name] += "0";
            Assert.True(seen.Add(CellKey.Compute(changed, inputs)), $"changing {name} did not change the key");
        }
        foreach (var name in inputs.Keys)
        {
            var changed = new Dictionary<string, string>(inputs) { [name] = inputs[name] + "0" };
            Assert.True(seen.Add(CellKey.Compute(cell.Parameters(), changed)), $"changing input {name} did not change the key");
        }
        // Typed changes too: a different ε or seed is a different cell.
        Assert.NotEqual(baseKey, CellKey.Compute(CellSpec.ForEvaluation(Model, "pgd", Attack with { Epsilon = 4 / 255.0 }, "pgd").Parameters(),
            inputs));
        Assert.NotEqual(baseKey, CellKey.Compute(CellSpec.ForEvaluation(Model with { Seed = 8 }, "pgd", Attack, "pgd").Parameters(), inputs));
    }

    [Fact]
    public void KeysAreStableAcrossPlansAndTheEpsilon8SweepCellIsThePaperPgdCell()
    {
        var a = FakeBackend.Plan();
        var b = FakeBackend.Plan();
        Assert.Equal(a.Cells.Select(c => CellKey.Compute(c.Parameters(), new Dictionary<string, string>())),
                     b.Cells.Select(c => CellKey.Compute(c.Parameters(), new Dictionary<string, string>())));
        var pgd = a.Cells.Single(c => c.Id == "eval/adversarial-masked/pgd");
        var eps8 = a.Cells.Single(c => c.Id == "eval/adversarial-masked/pgd-eps8");
        Assert.Equal(pgd.Parameters(), eps8.Parameters());
    }
}
