using Maskbench.Masks;
using Maskbench.Data;
using Maskbench.Experiments;
using Maskbench.Masks.Sources;
using Maskbench.Progress;
using Maskbench.Tests.Support;
using static TorchSharp.torch;

namespace Maskbench.Tests.Experiments;

/// <summary>The whole grid with the real trainer and attacks, on a tiny dataset and a tiny model (seconds).</summary>
[Collection(TorchThreadsCollection.Name)]
public class ReproductionTests
{
    /// <summary>8×8 images: a square foreground whose colour channel is the class, on noise.</summary>
    internal static void WriteDataset(string folder)
    {
        var rng = new Random(3);
        SplitArrays Split(int count)
        {
            var a = new SplitArrays(count, 8);
            for (int i = 0; i < count; i++)
            {
                int label = i % 3, side = 2 + rng.Next(5), x0 = rng.Next(9 - side), y0 = rng.Next(9 - side);
                a.Labels[i] = label;
                for (int y = 0; y < 8; y++)
                    for (int x = 0; x < 8; x++)
                    {
                        bool fg = x >= x0 && x < x0 + side && y >= y0 && y < y0 + side;
                        int p = (i * 64 + y * 8 + x);
                        a.Masks[p] = (byte)(fg ? 1 : 0);
                        for (int c = 0; c < 3; c++) a.Images[p * 3 + c] = (byte)(fg ? (c == label ? 230 : 40) : rng.Next(256));
                    }
            }
            return a;
        }
        DatasetStore.Write(folder, new DatasetManifest { Name = "tiny-gtsrb", ClassNames = ["red", "green", "blue"], ImageSize = 8, Source = "test" },
            new Dictionary<string, SplitArrays> { ["train"] = Split(144), ["test"] = Split(24) });
    }

    public static readonly ExperimentProfile Tiny = ExperimentProfile.Cpu with
    {
        Name = "tiny", Arch = "smallcnn", Width = 0.25, Epochs = 3, BatchSize = 16, LearningRate = 0.05, ValidationCount = 16, ValidationSteps = 1,
        TrainLimit = 0, TestLimit = 0,
        TrainSteps = 1, PgdSteps = 3, Restarts = 2, ApgdSteps = 3, SquareQueries = 10,
    };

    [Fact]
    public void TinyGridRunsEndToEndAndRerunsFromTheCache()
    {
        TorchSharp.torch.set_num_threads(1);   // the grid's numbers below are those of one libtorch thread
        using var tmp = new TempFolder();
        WriteDataset(tmp["data"]);
        var first = Reproduction.Run(tmp["data"], tmp["out"], Tiny, null, CellSelection.All, CPU, NullProgress.Instance);
        Assert.True(File.Exists(first.ReportPath));
        Assert.True(File.Exists(tmp["out/report.md"]));
        var r = first.Results;
        Assert.Equal(r.MissingCells.OrderBy(x => x), first.Unavailable.OrderBy(x => x));
        foreach (var m in r.Models)
        {
            Assert.NotNull(m.Natural);
            Assert.NotNull(m.Pgd);
            Assert.True(m.Pgd <= m.Natural, $"{m.Id}: PGD {m.Pgd} above natural {m.Natural}");
            if (m.Sweep.Count == 0) continue;
            Assert.Equal(m.Natural, m.Sweep.Single(s => s.Epsilon255 == 0).Accuracy);
            for (int i = 1; i < m.Sweep.Count; i++) Assert.True(m.Sweep[i].Accuracy <= m.Sweep[i - 1].Accuracy + 1e-9, $"{m.Id}: sweep rises");
            if (m.Strong is not null) Assert.True(m.Strong <= m.Pgd);
        }
        // A masked model ignores the background, so the full-image adversary cannot do better than the foreground one.
        Assert.All(r.FullImageThreat, t => Assert.Equal(t.ForegroundOnly, t.FullImage));
        Assert.Equal(24, r.Models[0].TestCount);
        // The colours are easy: a naturally trained model must have learnt something, and PGD at 16/255 must hurt it.
        var natural = r.Models.Single(m => m.Id == "natural-plain");
        Assert.True(natural.Natural > 60, $"natural-plain learnt only {natural.Natural}%");

        var second = Reproduction.Run(tmp["data"], tmp["out"], Tiny, null, CellSelection.All, CPU, NullProgress.Instance);
        Assert.Equal(0, second.Executed);
        Assert.Equal(File.ReadAllText(tmp["out/results.json"]), second.Results.ToJson());
    }

    /// <summary>
    /// reproduce with a masker: the plan gains the two predicted-mask models (and keeps every other cell as it was),
    /// their keys carry the masker's weights hash, they train on its predictions, and their natural accuracy is the
    /// deployed pipeline's, classifier(x ⊙ 1[σ(masker(x)) ≥ ½]), recomputed here from the checkpoint and the masker.
    /// </summary>
    [Fact]
    public void A_masker_adds_predicted_mask_models_evaluated_as_the_deployed_pipeline()
    {
        TorchSharp.torch.set_num_threads(1);
        using var tmp = new TempFolder();
        WriteDataset(tmp["data"]);
        Maskbench.Masks.Learned.MaskerTraining.Run(tmp["data"], tmp["masker"],
            new Maskbench.Masks.Learned.MaskerTrainingOptions { Epochs = 3, BatchSize = 16, LearningRate = 5e-3, Seed = 1, Augment = false },
            baseWidth: 4, depth: 2, attackEpsilon: null, attackSteps: 0, CPU, NullProgress.Instance);

        var without = Reproduction.PlanFor(tmp["data"], Tiny);
        var plan = Reproduction.PlanFor(tmp["data"], Tiny, masker: tmp["masker"]);
        Assert.Equal(without.Cells.Select(c => (c.Id, string.Join('\n', c.Parameters()))),
            plan.Cells.Where(c => c.Model.Mask is not MaskSource.Predicted).Select(c => (c.Id, string.Join('\n', c.Parameters()))));
        var predicted = plan.Cells.Where(c => c.Model.Mask is MaskSource.Predicted).Select(c => c.Id).Order().ToArray();
        Assert.Equal(["eval/adversarial-predicted-mask/natural", "eval/adversarial-predicted-mask/pgd", "eval/natural-predicted-mask/natural",
            "eval/natural-predicted-mask/pgd", "train/adversarial-predicted-mask", "train/natural-predicted-mask"], predicted);
        string weightsSha = CellKey.FileSha256(new Maskbench.Masks.Learned.MaskerRun(tmp["masker"]).WeightsPath);
        Assert.All(plan.Cells.Where(c => c.Model.Mask is MaskSource.Predicted), c =>
            Assert.Equal(weightsSha, c.Parameters()["mask.maskerWeightsSha256"]));

        var outcome = Reproduction.Run(tmp["data"], tmp["out"], Tiny, null, CellSelection.Parse("*predicted-mask*"), CPU, NullProgress.Instance,
            masker: tmp["masker"]);
        Assert.Equal(6, outcome.Executed);
        var r = outcome.Results;
        foreach (string id in new[] { "natural-predicted-mask", "adversarial-predicted-mask" })
        {
            var m = r.Models.Single(x => x.Id == id);
            Assert.Equal(MaskKind.Predicted, m.Mask);
            Assert.True(m.Pgd <= m.Natural, $"{id}: PGD {m.Pgd} above natural {m.Natural}");
            Assert.Contains(r.Table4, t => t.Row == $"predicted-mask-{(m.Training == "natural" ? "N" : "A")}" && t.Natural == m.Natural);

            // The oracle: the run's checkpoint behind the masker's thresholded mask of each clean test image.
            var cell = new CellStore(tmp["out"]).All().Single(c => c.Kind == CellSpec.Train && c.Id == $"train/{id}");
            var (classifier, _) = Maskbench.Evaluation.AttackedModel.LoadClassifier(Path.Combine(tmp["out"], cell.Training!.Checkpoint), CPU);
            using var _ = classifier;
            using var dataset = DatasetStore.Open(tmp["data"]);
            using var batch = Maskbench.Batching.DatasetBatches.Gather(dataset.Split("test"), Enumerable.Range(0, 24).ToArray(), CPU);
            var masker = new MaskSource.Predicted(tmp["masker"]).Masker(CPU);
            using var noGrad = no_grad();
            var hard = masker.SoftMask(batch.Images).ge(0.5).to_type(ScalarType.Float32);
            long correct = classifier.call(batch.Images * hard).argmax(1).eq(batch.Labels).sum().item<long>();
            Assert.Equal(Math.Round(100.0 * correct / 24, 2), Math.Round(m.Natural!.Value, 2));

            // What the attacks meet is the deployed pipeline: an input's logits come from its own predicted mask.
            var target = Maskbench.Evaluation.AttackedModel.FromModule(classifier, new MaskSource.Predicted(tmp["masker"]), id).TargetFor(batch);
            var moved = (batch.Images + 0.3 * rand_like(batch.Images) - 0.15).clamp(0, 1);
            var movedMask = masker.SoftMask(moved).ge(0.5).to_type(ScalarType.Float32);
            Assert.False(movedMask.eq(hard).all().item<bool>(), "the perturbation should move some predicted mask");
            using (target.Prepare(Maskbench.Attacks.Precision.Fp32))
                Assert.True(target.Logits(moved).allclose(classifier.call(moved * movedMask), rtol: 1e-4, atol: 1e-4));
        }
        Assert.Contains("predicted-mask-A", File.ReadAllText(tmp["out/report.md"]));

        // Behind the same masker, the predicted-mask models meet the adaptive attacks too (the oracle-mask models were not
        // selected, so they have no pipeline rows). Same test images, same pipeline: the same natural accuracy as the grid's.
        var section = r.PredictedMasks!;
        foreach (var (id, letter) in new[] { ("natural-predicted-mask", "N"), ("adversarial-predicted-mask", "A") })
        {
            var row = section.Rows.Single(x => x.Training == letter && x.Natural is not null);
            Assert.Equal($"predicted mask, {Maskbench.Reports.PredictedMaskResults.TrainedOnPredictions}", row.Mask);
            Assert.Equal(r.Models.Single(x => x.Id == id).Natural!.Value, row.Natural!.Value, 1);
            string pipeline = $"{letter} {Maskbench.Reports.PredictedMaskResults.TrainedOnPredictions}";
            var attacks = section.Attacks.Where(a => a.Training == pipeline).ToList();
            Assert.Equal(5, attacks.Count);
            // The worst case per example is at or below every single attack.
            Assert.All(attacks, a => Assert.True(row.Robust!.Value <= a.Robust.Value + 1e-9, $"{pipeline}: {a.Attack}"));
            Assert.True(row.Robust!.Value <= row.Natural.Value);
            // The grid's run folder records the masker, so `attack --model` meets the same pipeline.
            var cell = new CellStore(tmp["out"]).All().Single(c => c.Kind == CellSpec.Train && c.Id == $"train/{id}");
            var info = new Maskbench.Training.RunFolder(Path.GetDirectoryName(Path.Combine(tmp["out"], cell.Training!.Checkpoint))!).ReadInfo();
            Assert.Equal(new Maskbench.Training.InputMaskRecord(MaskKind.Predicted, Masker: Path.GetFullPath(tmp["masker"]),
                MaskerWeightsSha256: weightsSha), info.InputMasks);
        }
        Assert.Contains(Maskbench.Reports.PredictedMaskResults.TrainedOnPredictions, File.ReadAllText(tmp["out/report.md"]));
    }

    /// <summary>
    /// Each named profile, shrunk only in model size, epochs and image counts, trains one adversarial model and attacks it:
    /// the profile's batch, learning rate, schedule, adversarial-training steps, ε ramp and seed reach the trainer
    /// (run.json is what the trainer used), and its PGD steps, step size, precision and test count reach the evaluation.
    /// </summary>
    [Theory]
    [InlineData("paper")]
    [InlineData("workstation")]
    [InlineData("cpu")]
    public void EachProfilesSettingsReachTheTrainerAndTheEvaluator(string name)
    {
        using var tmp = new TempFolder();
        WriteDataset(tmp["data"]);
        var named = ExperimentProfile.Named(name);
        var profile = named with { Arch = "smallcnn", Width = 0.25, Epochs = 2, TrainLimit = 32, TestLimit = 10, ValidationCount = 8,
            ValidationSteps = 1 };
        var outcome = Reproduction.Run(tmp["data"], tmp["out"], profile, null,
            CellSelection.Parse("train/adversarial-plain,eval/adversarial-plain/natural,eval/adversarial-plain/pgd"), CPU, NullProgress.Instance);

        var run = new Maskbench.Training.RunFolder(Directory.GetDirectories(tmp["out/runs"], "adversarial-plain-*").Single()).ReadInfo();
        var o = run.Options;
        Assert.Equal(Maskbench.Training.TrainingMode.Pgd, o.Mode);
        Assert.Equal(named.BatchSize, o.BatchSize);
        Assert.Equal(named.LearningRate, o.LearningRate);
        Assert.Equal(named.Schedule, o.Schedule);
        Assert.Equal(named.TrainSteps, o.Steps);
        Assert.Equal(named.StepFor(ExperimentProfile.PaperEpsilon, named.TrainSteps), o.StepSize, 12);
        Assert.Equal(named.TrainEpsilonWarmup, o.EpsilonWarmupEpochs);
        Assert.Equal(named.Seed, o.Seed);
        Assert.Equal((2, 32), (o.Epochs, o.LimitTrain));
        Assert.Equal(2, File.ReadAllLines(Path.Combine(Path.GetDirectoryName(
            Directory.GetFiles(tmp["out/runs"], "run.json", SearchOption.AllDirectories).Single())!, "metrics.jsonl")).Count(l => l.Length > 0));

        var pgd = new CellStore(tmp["out"]).All().Single(c => c.Id == "eval/adversarial-plain/pgd");
        Assert.Equal(named.PgdSteps.ToString(), pgd.Parameters["attack.steps"]);
        Assert.Equal(named.Precision.ToString().ToLowerInvariant(), pgd.Parameters["attack.precision"]);
        Assert.Equal(10, pgd.Evaluation!.Count);
        // The attack object the backend builds for that cell.
        var spec = Reproduction.PlanFor(tmp["data"], profile).Cells.Single(c => c.Id == "eval/adversarial-plain/pgd").Evaluation!;
        var attack = Assert.IsType<Maskbench.Attacks.PgdAttack>(spec.CreateAttack());
        Assert.Equal(named.PgdSteps, attack.Steps);
        Assert.Equal(named.Precision, attack.Precision);
        Assert.Equal(name, outcome.Results.Profile.Name);
        Assert.Contains(outcome.Results.Profile.Settings, s => s.Name == "batch" && s.Value == named.BatchSize.ToString());
    }

    [Fact]
    public void Refusals_come_before_any_work_and_leave_the_output_folder_alone()
    {
        using var tmp = new TempFolder();
        WriteDataset(tmp["data"]);
        // An unknown architecture: nothing is written, not even plan.json.
        var arch = Assert.Throws<MaskbenchException>(() => Reproduction.Run(tmp["data"], tmp["out"], Tiny, "foo", CellSelection.All, CPU,
            NullProgress.Instance));
        Assert.Contains("--arch foo", arch.Message);
        Assert.False(Directory.Exists(tmp["out"]));

        // A dataset whose arrays no longer match the manifest is refused before any cell runs.
        byte[] images = File.ReadAllBytes(tmp["data/test/images.npy"]);
        images[^1] ^= 0xff;
        File.WriteAllBytes(tmp["data/test/images.npy"], images);
        var changed = Assert.Throws<DataFormatException>(() => Reproduction.Run(tmp["data"], tmp["out"], Tiny, null, CellSelection.All, CPU,
            NullProgress.Instance));
        Assert.Contains("images.npy", changed.Message);
        Assert.False(Directory.Exists(tmp["out"]));

        // A folder holding another grid's plan keeps its plan unless replacing it is asked for.
        images[^1] ^= 0xff;
        File.WriteAllBytes(tmp["data/test/images.npy"], images);
        var other = ExperimentPlan.Create(Tiny with { Epochs = 7 }, tmp["data"], "tiny-gtsrb", new string('b', 64));
        Directory.CreateDirectory(tmp["out"]);
        other.Save(tmp["out/plan.json"]);
        string before = File.ReadAllText(tmp["out/plan.json"]);
        var replaced = Assert.Throws<MaskbenchException>(() => Reproduction.Run(tmp["data"], tmp["out"], Tiny, null,
            CellSelection.Parse("train/natural-plain"), CPU, NullProgress.Instance));
        Assert.Contains("another grid", replaced.Message);
        Assert.Equal(before, File.ReadAllText(tmp["out/plan.json"]));
        Assert.False(Directory.Exists(tmp["out/cells"]));
    }
}
