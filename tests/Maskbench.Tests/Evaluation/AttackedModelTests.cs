using Maskbench.Masks.Sources;
using Maskbench.Attacks;
using Maskbench.Data;
using Maskbench.Evaluation;
using Maskbench.Masks;
using Maskbench.Models;
using Maskbench.Progress;
using Maskbench.Runtime;
using Maskbench.Tests.Attacks;
using Maskbench.Tests.Support;
using Maskbench.Training;
using static TorchSharp.torch;

namespace Maskbench.Tests.Evaluation;

/// <summary>One library call loads a model to evaluate, whatever form its weights are in.</summary>
public class AttackedModelTests
{
    static string SaveRun(string folder, ImageClassifier model, MaskSource? inputMasks = null)
    {
        var run = new RunFolder(folder);
        Directory.CreateDirectory(run.Path);
        run.WriteInfo(new RunInfo
        {
            Model = model.Spec, Options = new TrainingOptions { Masked = model.Spec.Masked }, Dataset = new DatasetIdentity(folder, "0", "fixture"),
            InputMasks = inputMasks?.Record(),
        });
        Checkpoint.Save(run.Last, model, null, 1, []);
        return run.Path;
    }

    [Fact]
    public void A_run_folder_its_checkpoint_and_its_exported_weights_load_as_the_same_model()
    {
        TorchRuntime.EnsureLoaded();
        using var temp = new TempFolder();
        manual_seed(3);
        using var original = ModelFactory.Create("smallcnn", 4, 8, masked: true);
        original.eval();
        string run = SaveRun(temp["run"], original);
        string exported = ModelExport.Export(run, temp["exported"], useBest: false);
        using var x = rand(5, 3, 8, 8);
        using var masks = ones(5, 1, 8, 8);
        Tensor expected;
        using (no_grad()) expected = original.call(x * masks);

        foreach (string path in new[] { run, new RunFolder(run).Last, exported })
        {
            var (model, source) = AttackedModel.LoadClassifier(path, CPU);
            using var _ = model;
            Assert.False(model.training);
            using (no_grad()) Assert.True(model.call(x * masks).allclose(expected, rtol: 0, atol: 0), path);
            Assert.Contains(path == exported ? "exported weights" : "last.ckpt", source);
            // A masked model is fed the dataset's masks, and its foreground threat means those masks.
            var attacked = AttackedModel.Load(path, CPU);
            Assert.IsType<MaskSource.GroundTruth>(attacked.Input);
            Assert.IsType<MaskSource.GroundTruth>(attacked.Foreground);
        }
    }

    [Fact]
    public void A_checkpoint_whose_bytes_changed_is_refused_and_a_plain_model_is_attacked_on_the_dataset_foreground()
    {
        TorchRuntime.EnsureLoaded();
        using var temp = new TempFolder();
        using var original = ModelFactory.Create("smallcnn", 4, 8, masked: false);
        string run = SaveRun(temp["run"], original);
        var e = Assert.Throws<DataFormatException>(() => AttackedModel.LoadClassifier(new RunFolder(run).Last, CPU,
            expectedSha256: new string('0', 64)));
        Assert.Contains("SHA-256", e.Message);
        var plain = AttackedModel.Load(run, CPU);
        Assert.IsType<MaskSource.NoMask>(plain.Input);
        Assert.IsType<MaskSource.GroundTruth>(plain.Foreground);
        var missing = Assert.Throws<MaskbenchException>(() => AttackedModel.Load(temp["nothing"], CPU));
        Assert.Contains(temp["nothing"], missing.Message);
    }

    [Fact]
    public void A_run_trained_on_random_twin_masks_is_fed_and_attacked_through_the_same_twins()
    {
        TorchRuntime.EnsureLoaded();
        using var temp = new TempFolder();
        using var original = ModelFactory.Create("smallcnn", 4, 8, masked: true);
        string run = SaveRun(temp["run"], original, new MaskSource.RandomTwin(7));
        Assert.Equal(new InputMaskRecord(MaskKind.RandomTwin, Seed: 7), new RunFolder(run).ReadInfo().InputMasks);
        foreach (string path in new[] { run, new RunFolder(run).Last })
        {
            var attacked = AttackedModel.Load(path, CPU);
            Assert.Equal(new MaskSource.RandomTwin(7), attacked.Input);
            Assert.Equal(new MaskSource.RandomTwin(7), attacked.Foreground);
            Assert.Contains("random-twin masks (seed 7)", attacked.Description);
        }
    }
}

/// <summary>The evaluator works on any row subset, in the order given.</summary>
[Collection(TrainedFixture.Collection)]
public class RowSubsetEvaluationTests
{
    [Fact]
    public void The_rows_given_are_the_rows_evaluated_and_natural_accuracy_is_theirs()
    {
        TorchRuntime.EnsureLoaded();
        var (temp, folder) = RobustnessEvaluatorTests.StoreFixture();
        using var _ = temp;
        using var dataset = DatasetStore.Open(folder);
        var split = dataset.Split("test");
        var (model, _, _) = TrainedFixture.Get();
        int[] rows = [9, 2, 17, 4, 30, 11, 6];
        var options = new EvaluationOptions { Epsilons = [0.1], Region = ThreatRegion.Full, Rows = rows, BatchSize = 3 };
        int batches = 0;
        var report = RobustnessEvaluator.Evaluate(split, "test", AttackedModel.FromModule(model, maskedInput: false, "fixture"),
            new PgdAttack { Steps = 5, Seed = 1 }, options, NullProgress.Instance, observe: seen => { batches++; Assert.Equal(0.1, seen.Epsilon); });
        Assert.Equal(rows, report.Examples.Select(x => x.Row));
        Assert.Equal(3, batches);
        // Oracle: a direct forward pass over those rows.
        using var batch = Maskbench.Batching.DatasetBatches.Gather(split, rows, CPU);
        var predicted = AttackFixtures.Labels(model, batch.Images).data<long>().ToArray();
        Assert.Equal(predicted, report.Examples.Select(x => x.CleanPrediction));
        Assert.Equal(rows.Select(r => split.Labels[r]), report.Examples.Select(x => x.Label));
    }
}
