using Maskbench.Experiments;
using Maskbench.Progress;
using Maskbench.Tests.Support;

namespace Maskbench.Tests.Experiments;

/// <summary>
/// What a grid trusts: an evaluation loads only the checkpoint bytes its training cell recorded, and two processes
/// on one output folder never compute the same cell (per-cell locks).
/// </summary>
public class GridIntegrityTests
{
    [Fact]
    public void A_changed_checkpoint_is_refused_and_no_evaluation_is_recorded()
    {
        using var tmp = new TempFolder();
        var plan = FakeBackend.Plan();
        var backend = new FakeBackend();
        new GridRunner(plan, new CellStore(tmp.Path), backend, NullProgress.Instance).Run(CellSelection.Parse("eval/natural-plain/natural"));
        string checkpoint = Directory.GetFiles(Path.Combine(tmp.Path, "runs"), "model.bin", SearchOption.AllDirectories).Single();
        int cells = Directory.GetFiles(Path.Combine(tmp.Path, "cells"), "*.json").Length;

        byte[] bytes = File.ReadAllBytes(checkpoint);
        Array.Clear(bytes, bytes.Length / 2, 4);   // zeroed in the middle
        File.WriteAllBytes(checkpoint, bytes);
        var e = Assert.Throws<DataFormatException>(() =>
            new GridRunner(plan, new CellStore(tmp.Path), backend, NullProgress.Instance).Run(CellSelection.Parse("eval/natural-plain/pgd")));
        Assert.Contains(checkpoint, e.Message);
        Assert.Contains("SHA-256", e.Message);
        Assert.Contains("delete", e.Message);
        Assert.Equal(cells, Directory.GetFiles(Path.Combine(tmp.Path, "cells"), "*.json").Length);
        Assert.Equal(1, backend.EvaluateCalls);
    }

    /// <summary>Records Info lines; signals when the runner starts waiting for a locked cell.</summary>
    sealed class WaitWatcher : IProgressSink
    {
        public readonly ManualResetEventSlim Waiting = new();
        public IProgressTask Start(string description, long total, string unit = "items") => NullProgress.Instance;
        public void Info(string message) { if (message.StartsWith("waiting for", StringComparison.Ordinal)) Waiting.Set(); }
    }

    [Fact]
    public async Task A_cell_locked_by_another_process_is_left_for_last_then_taken_from_the_cache()
    {
        using var tmp = new TempFolder();
        var plan = FakeBackend.Plan();
        var store = new CellStore(tmp.Path);
        var natural = plan.Cells.First(c => c.Id == "train/natural-plain");
        var adversarial = plan.Cells.First(c => c.Id == "train/adversarial-plain");
        var selection = CellSelection.Parse("train/natural-plain,train/adversarial-plain");

        // "Another process" holds the natural model's cell while it trains it.
        var other = new GridRunner(plan, store, new FakeBackend(), NullProgress.Instance);
        var held = CellLock.TryAcquire(store.LockPathOf(GridRunner.TrainingKey(natural, plan.DatasetSha256)));
        Assert.NotNull(held);
        var watcher = new WaitWatcher();
        var backend = new FakeBackend();
        var runner = new GridRunner(plan, store, backend, watcher);
        var run = Task.Run(() => runner.Run(selection));
        // It works on the free cell first, then waits for the held one.
        Assert.True(watcher.Waiting.Wait(TimeSpan.FromMinutes(2)), "the runner never waited for the locked cell");
        Assert.Equal(1, backend.TrainCalls);
        Assert.True(store.TryLoad(GridRunner.TrainingKey(adversarial, plan.DatasetSha256), out _));
        // The other process finishes the cell (computed here in another folder and copied in) and releases its lock:
        // the waiting runner takes the lock, finds the cell cached and does not train the model again.
        new GridRunner(plan, new CellStore(tmp["elsewhere"]), new FakeBackend(), NullProgress.Instance)
            .Run(CellSelection.Parse("train/natural-plain"));
        string key = GridRunner.TrainingKey(natural, plan.DatasetSha256);
        CopyFolder(tmp["elsewhere/runs"], Path.Combine(tmp.Path, "runs"));
        File.Copy(Path.Combine(tmp["elsewhere"], "cells", key + ".json"), store.PathOf(key));
        held!.Dispose();
        await run.WaitAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(1, backend.TrainCalls);
        Assert.Equal(1, runner.Reused);
        Assert.True(store.TryLoad(GridRunner.TrainingKey(natural, plan.DatasetSha256), out _));
    }

    static void CopyFolder(string from, string to)
    {
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
