using Maskbench.Masks.Sources;
using Maskbench.Attacks;
using Maskbench.Experiments;
using Maskbench.Training;

namespace Maskbench.Tests.Experiments;

public class ExperimentProfileTests
{
    [Fact]
    public void EveryNamedProfileResolvesToItselfAndOthersAreRefusedWithTheValidNames()
    {
        Assert.Equal(["paper", "workstation", "cpu"], ExperimentProfile.All.Select(p => p.Name));
        foreach (var p in ExperimentProfile.All)
        {
            Assert.Same(p, ExperimentProfile.Named(p.Name));
            Assert.Same(p, ExperimentProfile.Named(p.Name.ToUpperInvariant()));
        }
        var e = Assert.Throws<MaskbenchException>(() => ExperimentProfile.Named("papr"));
        Assert.Contains("papr", e.Message);
        foreach (var p in ExperimentProfile.All) Assert.Contains(p.Name, e.Message);
    }

    [Fact]
    public void ProfilesDifferWhereTheyShould()
    {
        // The paper's settings (Section "Results"): VGG-19 at full width, all data, PGD-20 at 8/255 with step 2/255.
        var paper = ExperimentProfile.Paper;
        Assert.Equal(("vgg19", 1.0, 0, 0, 20), (paper.Arch, paper.Width, paper.TrainLimit, paper.TestLimit, paper.PgdSteps));
        Assert.Equal(2.0 / 255, paper.StepFor(ExperimentProfile.PaperEpsilon, paper.PgdSteps), 12);
        // The workstation profile trains on all training images and evaluates at least 2,000 test images with the paper's PGD.
        var ws = ExperimentProfile.Workstation;
        Assert.Equal(0, ws.TrainLimit);
        Assert.True(ws.TestLimit is 0 or >= 2000);
        Assert.Equal(ExperimentProfile.PaperSteps, ws.PgdSteps);
        Assert.True(ws.TrainSteps >= 2, "adversarial training must be multi-step PGD");
        Assert.Equal(3, ExperimentProfile.All.Select(p => p with { Name = "" }).Distinct().Count());
    }

    /// <summary>The settings a profile describes are those it holds (print-plan and the report show Describe()).</summary>
    [Fact]
    public void DescribeStatesEveryKnob()
    {
        var p = ExperimentProfile.Workstation with { Epochs = 7, BatchSize = 96, LearningRate = 0.0321, Schedule = LearningRateSchedule.Multistep,
            TrainLimit = 1234, TestLimit = 2345, TrainSteps = 3, PgdSteps = 17, Restarts = 4, Precision = Precision.Bf16, Seeds = 3, Seed = 5 };
        var d = p.Describe().ToDictionary(x => x.Name, x => x.Value);
        Assert.Equal("workstation", d["profile"]);
        Assert.Equal("7", d["epochs"]);
        Assert.Equal("96", d["batch"]);
        Assert.Equal("0.0321", d["learning rate"]);
        Assert.Equal("multistep", d["schedule"]);
        Assert.Contains("1234", d["training images"]);
        Assert.Contains("2345", d["test images"]);
        Assert.StartsWith("PGD-3", d["adversarial training"]);
        Assert.StartsWith("17 steps", d["evaluation PGD"]);
        Assert.Equal("4", d["restarts"]);
        Assert.Equal("bf16", d["precision"]);
        Assert.Equal("3 (seeds 5–7)", d["seeds"]);
    }

    static Dictionary<string, string> KeysOf(ExperimentPlan plan) =>
        plan.Cells.ToDictionary(c => c.Id, c => CellKey.Compute(c.Parameters(), new Dictionary<string, string>()));

    /// <summary>Every override a user can give `reproduce` changes the key of the cells it affects (and only adds cells for --seeds).</summary>
    [Theory]
    [InlineData("arch", "train/natural-plain")]
    [InlineData("width", "train/natural-plain")]
    [InlineData("epochs", "train/natural-plain")]
    [InlineData("trainLimit", "train/natural-plain")]
    [InlineData("batch", "train/natural-plain")]
    [InlineData("lr", "train/natural-plain")]
    [InlineData("schedule", "train/natural-plain")]
    [InlineData("trainSteps", "train/adversarial-plain")]
    [InlineData("warmup", "train/adversarial-plain")]
    [InlineData("testLimit", "eval/natural-plain/natural")]
    [InlineData("pgdSteps", "eval/natural-plain/pgd")]
    [InlineData("restarts", "eval/natural-plain/pgd-restarts")]
    [InlineData("precision", "eval/natural-plain/pgd")]
    [InlineData("precision", "train/natural-plain")]
    [InlineData("seed", "train/natural-plain")]
    public void EveryOverrideEntersTheKeys(string knob, string cell)
    {
        var p = ExperimentProfile.Cpu;
        var changed = knob switch
        {
            "arch" => p with { Arch = "vgg13" },
            "width" => p with { Width = 0.25 },
            "epochs" => p with { Epochs = 3 },
            "trainLimit" => p with { TrainLimit = 100 },
            "batch" => p with { BatchSize = 32 },
            "lr" => p with { LearningRate = 0.02 },
            "schedule" => p with { Schedule = LearningRateSchedule.Cosine },
            "trainSteps" => p with { TrainSteps = 3 },
            "warmup" => p with { TrainEpsilonWarmup = 2 },
            "testLimit" => p with { TestLimit = 50 },
            "pgdSteps" => p with { PgdSteps = 20 },
            "restarts" => p with { Restarts = 5 },
            "precision" => p with { Precision = Precision.Bf16 },
            "seed" => p with { Seed = 1 },
            _ => throw new ArgumentException(knob),
        };
        var before = KeysOf(FakeBackend.Plan(p));
        var after = KeysOf(FakeBackend.Plan(changed));
        Assert.NotEqual(before[cell], after[cell]);
    }

    [Fact]
    public void The_profiles_precision_reaches_training_and_float32_keys_stay_as_they_were()
    {
        var fp32 = FakeBackend.Plan(ExperimentProfile.Cpu).Cells.Where(c => c.Kind == CellSpec.Train).ToList();
        var bf16 = FakeBackend.Plan(ExperimentProfile.Cpu with { Precision = Precision.Bf16 }).Cells.Where(c => c.Kind == CellSpec.Train).ToList();
        Assert.All(fp32, c => Assert.Equal(Precision.Fp32, c.Model.Precision));
        Assert.All(bf16, c => Assert.Equal(Precision.Bf16, c.Model.Precision));
        Assert.All(fp32, c => Assert.DoesNotContain("model.precision", c.Model.ToParameters().Keys));
        Assert.All(bf16, c => Assert.Equal("bf16", c.Model.ToParameters()["model.precision"]));
    }

    [Fact]
    public void SeedsAddReplicasOfTheTableFourModelsWithTheirOwnSeedsAndKeys()
    {
        var one = FakeBackend.Plan(ExperimentProfile.Cpu);
        var three = FakeBackend.Plan(ExperimentProfile.Cpu with { Seeds = 3 });
        var k1 = KeysOf(one);
        var k3 = KeysOf(three);
        // Seed 0 is the same work as before, so its cached cells are reused.
        foreach (var (id, key) in k1) Assert.Equal(key, k3[id]);
        var replicas = three.Cells.Where(c => c.Kind == CellSpec.Train && c.Model.IsReplica).Select(c => c.Model).ToList();
        Assert.Equal(8, replicas.Count);   // 4 Table 4 models × 2 further seeds; no random-mask replicas
        Assert.Equal([1, 2], replicas.Select(m => m.Seed).Distinct().Order());
        Assert.All(replicas, m => Assert.IsNotType<Maskbench.Masks.Sources.MaskSource.RandomTwin>(m.Mask));
        // Distinct keys, except pgd-eps8, which is the paper's PGD cell by design.
        var distinct = k3.Where(kv => !kv.Key.EndsWith("/pgd-eps8")).Select(kv => kv.Value).ToList();
        Assert.Equal(distinct.Count, distinct.Distinct().Count());
        // Replicas get natural and PGD evaluations only, each with the replica as its model.
        var replicaEvals = three.Cells.Where(c => c.Kind == CellSpec.Evaluate && c.Model.IsReplica).ToList();
        Assert.Equal(16, replicaEvals.Count);
        Assert.All(replicaEvals, c => Assert.Contains(c.Name, new[] { "natural", "pgd" }));
        // Training cells come before every evaluation (--cells indices rely on it).
        int lastTrain = three.Cells.ToList().FindLastIndex(c => c.Kind == CellSpec.Train);
        Assert.True(three.Cells.Take(lastTrain + 1).All(c => c.Kind == CellSpec.Train));
    }

    [Theory]
    [InlineData("arch")]
    [InlineData("width")]
    [InlineData("epochs")]
    [InlineData("batch")]
    [InlineData("lr")]
    [InlineData("trainLimit")]
    [InlineData("testLimit")]
    [InlineData("trainSteps")]
    [InlineData("pgdSteps")]
    [InlineData("restarts")]
    [InlineData("seeds")]
    public void ImpossibleSettingsAreRefusedNamingTheOption(string knob)
    {
        var p = ExperimentProfile.Cpu;
        var (bad, option) = knob switch
        {
            "arch" => (p with { Arch = "vgg7" }, "--arch"),
            "width" => (p with { Width = 0 }, "--width"),
            "epochs" => (p with { Epochs = 0 }, "--epochs"),
            "batch" => (p with { BatchSize = 0 }, "--batch"),
            "lr" => (p with { LearningRate = -1 }, "--lr"),
            "trainLimit" => (p with { TrainLimit = -1 }, "--train-limit"),
            "testLimit" => (p with { TestLimit = -1 }, "--test-limit"),
            "trainSteps" => (p with { TrainSteps = 0 }, "--train-steps"),
            "pgdSteps" => (p with { PgdSteps = 0 }, "--pgd-steps"),
            "restarts" => (p with { Restarts = 0 }, "--restarts"),
            "seeds" => (p with { Seeds = 0 }, "--seeds"),
            _ => throw new ArgumentException(knob),
        };
        Assert.StartsWith(option, Assert.Throws<MaskbenchException>(() => bad.Validated()).Message);
    }
}
