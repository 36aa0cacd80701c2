using Maskbench.Data;
using Maskbench.Experiments;
using Maskbench.Progress;
using Maskbench.Tests.Support;
using static TorchSharp.torch;

namespace Maskbench.Tests.Experiments;

/// <summary>The whole grid with the real trainer and attacks, on a tiny dataset and a tiny model (seconds).</summary>
[Collection(TorchThreadsCollection.Name)]
public class ReproductionTests
{
    /// <summary>8×8 images: a square foreground whose colour channel is the class, on noise.</summary>
    static void WriteDataset(string folder)
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
        Name = "tiny", Arch = "smallcnn", Width = 0.25, Epochs = 3, BatchSize = 16, LearningRate = 0.05, ValidationCount = 16, ValidationSteps = 1, TrainLimit = 0, TestLimit = 0,
        TrainSteps = 1, PgdSteps = 3, Restarts = 2, ApgdSteps = 3, SquareQueries = 10,
    };

    [Fact]
    public void TinyGridRunsEndToEndAndRerunsFromTheCache()
    {
        Maskbench.Runtime.TorchRuntime.EnsureLoaded();
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

    [Fact]
    public void Refusals_come_before_any_work_and_leave_the_output_folder_alone()
    {
        using var tmp = new TempFolder();
        WriteDataset(tmp["data"]);
        // An unknown architecture: nothing is written, not even plan.json.
        var arch = Assert.Throws<MaskbenchException>(() => Reproduction.Run(tmp["data"], tmp["out"], Tiny, "foo", CellSelection.All, CPU, NullProgress.Instance));
        Assert.Contains("--arch foo", arch.Message);
        Assert.False(Directory.Exists(tmp["out"]));

        // A dataset whose arrays no longer match the manifest is refused before any cell runs.
        byte[] images = File.ReadAllBytes(tmp["data/test/images.npy"]);
        images[^1] ^= 0xff;
        File.WriteAllBytes(tmp["data/test/images.npy"], images);
        var changed = Assert.Throws<DataFormatException>(() => Reproduction.Run(tmp["data"], tmp["out"], Tiny, null, CellSelection.All, CPU, NullProgress.Instance));
        Assert.Contains("images.npy", changed.Message);
        Assert.False(Directory.Exists(tmp["out"]));

        // A folder holding another grid's plan keeps its plan unless replacing it is asked for.
        images[^1] ^= 0xff;
        File.WriteAllBytes(tmp["data/test/images.npy"], images);
        var other = ExperimentPlan.Create(Tiny with { Epochs = 7 }, tmp["data"], "tiny-gtsrb", new string('b', 64));
        Directory.CreateDirectory(tmp["out"]);
        other.Save(tmp["out/plan.json"]);
        string before = File.ReadAllText(tmp["out/plan.json"]);
        var replaced = Assert.Throws<MaskbenchException>(() => Reproduction.Run(tmp["data"], tmp["out"], Tiny, null, CellSelection.Parse("train/natural-plain"), CPU, NullProgress.Instance));
        Assert.Contains("another grid", replaced.Message);
        Assert.Equal(before, File.ReadAllText(tmp["out/plan.json"]));
        Assert.False(Directory.Exists(tmp["out/cells"]));
    }
}
