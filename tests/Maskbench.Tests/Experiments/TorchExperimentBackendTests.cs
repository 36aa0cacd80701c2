using Maskbench.Masks.Sources;
using Maskbench.Attacks;
using Maskbench.Batching;
using Maskbench.Data;
using Maskbench.Experiments;
using Maskbench.Masks;
using Maskbench.Models;
using Maskbench.Progress;
using Maskbench.Runtime;
using Maskbench.Tests.Support;
using Maskbench.Training;
using static TorchSharp.torch;

namespace Maskbench.Tests.Experiments;

/// <summary>A grid cell goes through the one evaluator and gets what a plain per-batch attack loop gets.</summary>
public class TorchExperimentBackendTests
{
    [Theory]
    [InlineData(0)]   // the natural cell
    [InlineData(2)]   // PGD at 2/255 on the random-mask model's own mask
    public void A_random_mask_cell_matches_a_plain_per_batch_loop_over_the_same_rows(int epsilon255)
    {
        TorchRuntime.EnsureLoaded();
        using var temp = new TempFolder();
        DatasetStore.Write(temp["ds"], SyntheticSplits.Manifest(8, 4), new Dictionary<string, SplitArrays>
        {
            ["train"] = SyntheticSplits.Random(10, 8, 4, 1), ["test"] = SyntheticSplits.Random(130, 8, 4, 2),
        });
        manual_seed(5);
        using var model = ModelFactory.Create("smallcnn", 4, 8, masked: true);
        model.eval();
        var run = new RunFolder(temp["run"]);
        Directory.CreateDirectory(run.Path);
        run.WriteInfo(new RunInfo { Model = model.Spec, Options = new TrainingOptions { Masked = true },
            Dataset = new DatasetIdentity(temp["ds"], "0", "test") });
        Checkpoint.Save(run.Last, model, null, 1, []);

        var grid = new GridModel("natural-random-mask", GridModel.Natural, new MaskSource.RandomTwin(3), "smallcnn", 1, 1, 8, 0.01, 0, 0, 0, 0, 3);
        bool natural = epsilon255 == 0;
        var cell = new GridAttack(natural ? GridAttack.None : AttackRegistry.Pgd, epsilon255 / 255.0, natural ? 0 : 1 / 255.0, natural ? 0 : 3, 1,
            ThreatRegion.Foreground, 120, 7);
        EvaluationOutcome outcome;
        using (var backend = new TorchExperimentBackend(temp["ds"], "0", CPU, 0, 1))
            outcome = backend.Evaluate(grid, new TrainedModel(run.Last, []) { CheckpointSha256 = CellKey.FileSha256(run.Last) }, cell,
                NullProgress.Instance);

        // The reference: the loop the grid ran before it shared the evaluator, written out (batches of 100, the random
        // twin of each test row seeded by 1,000,000 + row, the attack run alone on each batch).
        using var dataset = DatasetStore.Open(temp["ds"]);
        var split = dataset.Split("test");
        var rows = TorchExperimentBackend.StratifiedTestRows(split.Labels, 120);
        var attack = natural ? new PgdAttack { Steps = 1, Seed = 7 } : new PgdAttack { Steps = 3, StepSize = 1 / 255.0, Seed = 7 };
        var correct = new List<bool>();
        var fractions = new List<double>();
        foreach (var chunk in rows.Chunk(100))
        {
            using var scope = NewDisposeScope();
            using var batch = DatasetBatches.Gather(split, chunk, CPU);
            var truth = batch.Masks.to_type(ScalarType.Byte).data<byte>().ToArray();
            var values = new float[chunk.Length * 64];
            for (int i = 0; i < chunk.Length; i++)
            {
                var twin = MaskSource.RandomTwin.Twin(truth.AsSpan(i * 64, 64), 1, 8, 3, firstIndex: 1_000_000 + chunk[i]);
                for (int p = 0; p < 64; p++) values[i * 64 + p] = twin[p];
            }
            var masks = tensor(values, [chunk.Length, 1, 8, 8]);
            using var result = attack.Run(new ModuleTarget(model, masks), batch.Images, batch.Labels, ThreatModel.Linf(cell.Epsilon, masks));
            correct.AddRange(result.Examples.Select(e => !e.Fooled));
            fractions.AddRange(batch.Masks.flatten(1).mean([1]).to_type(ScalarType.Float64).data<double>().ToArray());
        }
        Assert.Equal(rows, outcome.Indices);
        Assert.Equal(rows.Select(r => split.Labels[r]), outcome.Labels);
        Assert.Equal(fractions, outcome.ForegroundFractions);
        Assert.Equal(correct, outcome.Correct);
        if (natural) Assert.True(correct.Contains(true) && correct.Contains(false), "a constant outcome would test nothing");
        else Assert.NotNull(outcome.Examples);
    }
}
