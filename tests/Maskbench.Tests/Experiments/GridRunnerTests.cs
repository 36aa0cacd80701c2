using Maskbench.Experiments;
using Maskbench.Progress;
using Maskbench.Tests.Support;

namespace Maskbench.Tests.Experiments;

public class GridRunnerTests
{
    static (GridRunner Runner, FakeBackend Backend) Runner(ExperimentPlan plan, string folder, bool replaceOtherPlan = false)
    {
        var backend = new FakeBackend();
        return (new GridRunner(plan, new CellStore(folder), backend, NullProgress.Instance) { ReplaceOtherPlan = replaceOtherPlan }, backend);
    }

    [Fact]
    public void RerunSkipsEveryFinishedCell()
    {
        using var tmp = new TempFolder();
        var plan = FakeBackend.Plan();
        var (first, backend) = Runner(plan, tmp.Path);
        first.Run(CellSelection.All);
        // The ε = 8/255 sweep cell is the paper's PGD cell: one computation for two plan entries per model.
        int sweepAliases = plan.Cells.Count(c => c.Name == "pgd-eps8");
        Assert.Equal(plan.Cells.Count - sweepAliases, first.Executed);
        Assert.Equal(6, backend.TrainCalls);
        Assert.Equal(first.Executed, Directory.GetFiles(Path.Combine(tmp.Path, "cells"), "*.json").Length);

        var (second, backend2) = Runner(plan, tmp.Path);
        second.Run(CellSelection.All);
        Assert.Equal(0, second.Executed);
        Assert.Equal(plan.Cells.Count, second.Reused);
        Assert.Equal(0, backend2.TrainCalls + backend2.EvaluateCalls);
    }

    [Fact]
    public void AKilledGridResumesWithOnlyTheMissingCells()
    {
        using var tmp = new TempFolder();
        var plan = FakeBackend.Plan();
        Runner(plan, tmp.Path).Runner.Run(CellSelection.All);
        var files = Directory.GetFiles(Path.Combine(tmp.Path, "cells"), "*.json").Order().ToList();
        // What a kill leaves: some results missing and a temporary file of an unfinished write.
        File.Delete(files[3]);
        File.Delete(files[7]);
        File.WriteAllText(files[0] + ".tmp-123-abc", "{ half");
        var (resumed, _) = Runner(plan, tmp.Path);
        resumed.Run(CellSelection.All);
        Assert.Equal(2, resumed.Executed);
    }

    [Fact]
    public void SubsetsRunTheirModelFirstAndAChangedParameterRunsAgain()
    {
        using var tmp = new TempFolder();
        var plan = FakeBackend.Plan();
        var (runner, backend) = Runner(plan, tmp.Path);
        runner.Run(CellSelection.Parse("eval/adversarial-masked/pgd"));
        Assert.Equal((1, 1), (backend.TrainCalls, backend.EvaluateCalls));
        Assert.Equal("adversarial-masked/pgd/8/foreground", backend.Evaluated.Single());

        var changed = FakeBackend.Plan(ExperimentProfile.Cpu with { PgdSteps = 5 });
        // Another plan in the same folder replaces plan.json, results and report: refused unless asked for.
        var refused = Assert.Throws<MaskbenchException>(() => Runner(changed,
            tmp.Path).Runner.Run(CellSelection.Parse("eval/adversarial-masked/pgd")));
        Assert.Contains("another grid", refused.Message);
        Assert.Contains("--force", refused.Message);
        var (again, backend2) = Runner(changed, tmp.Path, replaceOtherPlan: true);
        again.Run(CellSelection.Parse("eval/adversarial-masked/pgd"));
        // Training parameters did not change (the model is reused); the attack's did (the evaluation reruns).
        Assert.Equal((0, 1), (backend2.TrainCalls, backend2.EvaluateCalls));
    }

    [Fact]
    public void PlainModelsAreAttackedOnTheFullImageAndMaskedOnesBothWays()
    {
        var plan = FakeBackend.Plan();
        Assert.Equal(Maskbench.Attacks.ThreatRegion.Full, plan.Cells.Single(c => c.Id == "eval/natural-plain/pgd").Evaluation!.Threat);
        Assert.Equal(Maskbench.Attacks.ThreatRegion.Foreground, plan.Cells.Single(c => c.Id == "eval/natural-masked/pgd").Evaluation!.Threat);
        Assert.Equal(Maskbench.Attacks.ThreatRegion.Full, plan.Cells.Single(c => c.Id == "eval/natural-masked/pgd-full-image").Evaluation!.Threat);
        Assert.Equal(Maskbench.Attacks.ThreatRegion.Foreground, plan.Cells.Single(c => c.Id == "eval/natural-random-mask/pgd").Evaluation!.Threat);
        var paperPgd = plan.Cells.Single(c => c.Id == "eval/natural-plain/pgd").Evaluation!;
        Assert.Equal(8 / 255.0, paperPgd.Epsilon, 12);
        var paper = ExperimentPlan.Create(ExperimentProfile.Paper, "d", "gtsrb", "00");
        var paperAttack = paper.Cells.Single(c => c.Id == "eval/natural-plain/pgd").Evaluation!;
        Assert.Equal((20, 2 / 255.0), (paperAttack.Steps, paperAttack.StepSize));
        Assert.Equal((1.0, "vgg19"), (paper.Cells[0].Model.Width, paper.Cells[0].Model.Arch));
    }

    [Fact]
    public void PlanRoundTripsThroughJson()
    {
        using var tmp = new TempFolder();
        var plan = FakeBackend.Plan();
        plan.Save(tmp["plan.json"]);
        var back = ExperimentPlan.Load(tmp["plan.json"]);
        Assert.Equal(plan.Cells.Select(c => c.Parameters().ToList()), back.Cells.Select(c => c.Parameters().ToList()));
        Assert.Equal(plan.Profile, back.Profile);
        Assert.Equal(plan.Dataset!.CountsPerSplit["train"], back.Dataset!.CountsPerSplit["train"]);
    }
}
