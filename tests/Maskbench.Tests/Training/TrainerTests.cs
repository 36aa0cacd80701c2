using Maskbench.Data;
using Maskbench.Models;
using Maskbench.Progress;
using Maskbench.Tests.Support;
using Maskbench.Training;
using static TorchSharp.torch;

namespace Maskbench.Tests.Training;

[Collection(TorchThreadsCollection.Name)]
public class TrainerTests
{
    static readonly DatasetIdentity Identity = new("synthetic", "0123", "squares");

    static ModelSpec Spec(bool masked = false) =>
        ModelFactory.Create("vgg11", 2, 32, width: 1.0 / 16, masked: masked).Spec;

    static TrainingOptions Tiny(TrainingMode mode, bool masked = false, int epochs = 2) => new()
    {
        Mode = mode, Epochs = epochs, BatchSize = 16, LearningRate = 0.05, Steps = 2, StepSize = 4.0 / 255,
        ValidationCount = 16, ValidationSteps = 2, Seed = 7, Masked = masked, FreeReplays = 2,
    };

    static TrainingResult Run(TrainingOptions options, SplitArrays data, string folder, bool resume = false,
        CancellationToken cancellation = default, IProgressSink? progress = null) =>
        new Trainer(options, progress ?? NullProgress.Instance).Train(data, Spec(options.Masked), Identity, ["dark", "bright"], folder, resume, CPU,
            cancellation);

    static List<(string Name, Tensor Tensor)> Weights(string checkpoint) => SafeTensorsFile.Read(checkpoint).Tensors;

    static void AssertBitIdentical(string a, string b)
    {
        var x = Weights(a);
        var y = Weights(b);
        Assert.Equal(x.Select(t => t.Name), y.Select(t => t.Name));
        for (int i = 0; i < x.Count; i++)
            Assert.True(x[i].Tensor.eq(y[i].Tensor).all().item<bool>(), $"{x[i].Name} differs");
    }

    static string WithoutTimes(string line) => System.Text.RegularExpressions.Regex.Replace(line, "\"seconds\":[0-9.eE+-]+", "");

    /// <summary>Cancels when the progress sink reports the end of the given epoch (a kill between epochs).</summary>
    sealed class StopAfterEpoch(int epoch, CancellationTokenSource source) : IProgressSink
    {
        public IProgressTask Start(string description, long total, string unit = "items") => NullProgress.Instance;
        public void Info(string message) { if (message.StartsWith($"epoch {epoch}/")) source.Cancel(); }
    }

    [Fact]
    public void Resume_after_a_kill_repeats_the_uninterrupted_run_bit_for_bit()
    {
        set_num_threads(1);
        var data = TrainingData.Squares(64, 32, seed: 1);
        using var dir = new TempFolder();
        var options = Tiny(TrainingMode.Pgd);
        var straight = Run(options, data, dir["straight"]);
        using var cts = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => Run(options, data, dir["killed"], cancellation: cts.Token,
            progress: new StopAfterEpoch(1, cts)));
        Assert.Single(File.ReadAllLines(Path.Combine(dir["killed"], "metrics.jsonl")));
        var resumed = Run(options, data, dir["killed"], resume: true);
        AssertBitIdentical(dir["straight/last.ckpt"], dir["killed/last.ckpt"]);
        Assert.Equal(File.ReadAllLines(dir["straight/metrics.jsonl"]).Select(WithoutTimes), File.ReadAllLines(dir["killed/metrics.jsonl"])
            .Select(WithoutTimes));
        Assert.Equal(straight.Epochs[^1] with { Seconds = 0 }, resumed.Epochs[^1] with { Seconds = 0 });
        // The checkpoint holds no times; the resumed run takes epoch 1's time back from metrics.jsonl.
        Assert.All(File.ReadAllLines(dir["killed/metrics.jsonl"]), line => Assert.Contains("\"seconds\":", line));
    }

    [Fact]
    public void Two_runs_with_the_same_seed_write_byte_identical_checkpoints()
    {
        var data = TrainingData.Squares(64, 32, seed: 3);
        using var dir = new TempFolder();
        var options = Tiny(TrainingMode.Pgd, masked: true);
        Run(options, data, dir["a"]);
        Run(options, data, dir["b"]);
        foreach (var file in new[] { "last.ckpt", "best.ckpt" })
            Assert.Equal(File.ReadAllBytes(dir["a/" + file]), File.ReadAllBytes(dir["b/" + file]));
        Assert.DoesNotContain("seconds", System.Text.Encoding.UTF8.GetString(File.ReadAllBytes(dir["a/last.ckpt"])));
        var a = File.ReadAllLines(dir["a/metrics.jsonl"]);
        Assert.Equal(2, a.Length);
        Assert.All(a, line => Assert.Contains("\"seconds\":", line));
        Assert.Equal(a.Select(WithoutTimes), File.ReadAllLines(dir["b/metrics.jsonl"]).Select(WithoutTimes));
        // A different seed must change the weights (else the comparison above would prove nothing).
        Run(options with { Seed = 8 }, data, dir["c"]);
        Assert.NotEqual(File.ReadAllBytes(dir["a/last.ckpt"]), File.ReadAllBytes(dir["c/last.ckpt"]));
    }

    [Fact]
    public void Masked_training_ignores_the_background_entirely()
    {
        var data = TrainingData.Squares(48, 32, seed: 2);
        var other = TrainingData.Squares(48, 32, seed: 2);
        new Random(99).NextBytes(other.Images);
        for (int i = 0; i < data.Masks.Length; i++)
            if (data.Masks[i] == 1)
                for (int ch = 0; ch < 3; ch++) other.Images[i * 3 + ch] = data.Images[i * 3 + ch];
        using var dir = new TempFolder();
        var options = Tiny(TrainingMode.Pgd, masked: true, epochs: 1);
        Run(options, data, dir["a"]);
        Run(options, other, dir["b"]);
        AssertBitIdentical(dir["a/last.ckpt"], dir["b/last.ckpt"]);
        // Control: unmasked training does see the background.
        var plain = Tiny(TrainingMode.Natural, epochs: 1);
        Run(plain, data, dir["c"]);
        Run(plain, other, dir["d"]);
        var c = Weights(dir["c/last.ckpt"]).First(t => t.Name == "model.features.0.weight").Tensor;
        var d = Weights(dir["d/last.ckpt"]).First(t => t.Name == "model.features.0.weight").Tensor;
        Assert.False(c.eq(d).all().item<bool>());
    }

    [Theory]
    [InlineData(TrainingMode.Natural)]
    [InlineData(TrainingMode.Fast)]
    [InlineData(TrainingMode.Free)]
    public void Every_mode_writes_the_run_folder(TrainingMode mode)
    {
        var data = TrainingData.Squares(48, 32, seed: 3);
        using var dir = new TempFolder();
        var result = Run(Tiny(mode), data, dir["run"]);
        Assert.Equal(2, result.Epochs.Count);
        foreach (var f in new[] { "run.json", "last.ckpt", "best.ckpt", "metrics.jsonl" }) Assert.True(File.Exists(dir["run/" + f]), f);
        var lines = File.ReadAllLines(dir["run/metrics.jsonl"]).Select(EpochMetrics.Parse).ToList();
        Assert.Equal([1, 2], lines.Select(l => l.Epoch));
        Assert.All(lines, l => Assert.True(double.IsFinite(l.TrainLoss) && l.ValidationNaturalAccuracy is >= 0 and <= 1
            && l.ValidationPgdAccuracy <= l.ValidationNaturalAccuracy + 1e-9));
        Assert.Equal(32, lines[0].TrainImages);
        var info = new RunFolder(dir["run"]).ReadInfo();
        Assert.Equal(mode, info.Options.Mode);
        Assert.Equal(16, info.ValidationCount);
        // best.ckpt is the epoch flagged best.
        int best = lines.Last(l => l.Best).Epoch;
        Assert.Equal(best.ToString(), SafeTensorsFile.Read(dir["run/best.ckpt"]).Metadata["epoch"]);
    }

    [Fact]
    public void Natural_training_learns_the_squares()
    {
        var data = TrainingData.Squares(160, 32, seed: 4);
        using var dir = new TempFolder();
        var options = Tiny(TrainingMode.Natural, epochs: 4) with { ValidationCount = 32, Epsilon = 0 };
        var result = Run(options, data, dir["run"]);
        Assert.True(result.Epochs[^1].ValidationNaturalAccuracy >= 0.9, $"validation accuracy {result.Epochs[^1].ValidationNaturalAccuracy}");
    }

    [Fact]
    public void Diverging_loss_stops_with_a_clear_message_and_writes_no_checkpoint()
    {
        var data = TrainingData.Squares(64, 32, seed: 5);
        using var dir = new TempFolder();
        var options = Tiny(TrainingMode.Natural) with { LearningRate = 1e30 };
        var e = Assert.Throws<MaskbenchException>(() => Run(options, data, dir["run"]));
        Assert.Contains("loss became", e.Message);
        Assert.False(File.Exists(dir["run/last.ckpt"]));
    }

    [Fact]
    public void Loss_turning_infinite_after_a_resume_leaves_the_last_checkpoint_untouched()
    {
        var data = TrainingData.Squares(48, 32, seed: 9);
        using var dir = new TempFolder();
        var options = Tiny(TrainingMode.Natural);
        using var cts = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => Run(options, data, dir["run"], cancellation: cts.Token,
            progress: new StopAfterEpoch(1, cts)));
        // Blow up the classifier so that the next epoch's loss is not finite.
        var (tensors, metadata) = SafeTensorsFile.Read(dir["run/last.ckpt"]);
        var blown = tensors.Select(t => t.Name == "model.classifier.weight" ? (t.Name, t.Tensor * 1e38f) : t).ToList();
        SafeTensorsFile.Write(dir["run/last.ckpt"], blown, metadata);
        byte[] before = File.ReadAllBytes(dir["run/last.ckpt"]);
        var e = Assert.Throws<MaskbenchException>(() => Run(options, data, dir["run"], resume: true));
        Assert.Contains("epoch 2", e.Message);
        Assert.Contains("last good checkpoint (epoch 1)", e.Message);
        Assert.Equal(before, File.ReadAllBytes(dir["run/last.ckpt"]));
        Assert.Single(File.ReadAllLines(dir["run/metrics.jsonl"]));
    }

    [Fact]
    public void Without_a_validation_slice_the_last_epoch_is_best()
    {
        var data = TrainingData.Squares(32, 32, seed: 10);
        using var dir = new TempFolder();
        var result = Run(Tiny(TrainingMode.Natural) with { ValidationCount = 0 }, data, dir["run"]);
        Assert.Equal(2, result.BestEpoch);
        Assert.True(double.IsNaN(EpochMetrics.Parse(File.ReadAllLines(dir["run/metrics.jsonl"])[1]).ValidationPgdAccuracy));
        Assert.Equal("2", SafeTensorsFile.Read(dir["run/best.ckpt"]).Metadata["epoch"]);
    }

    [Fact]
    public void Refuses_to_overwrite_a_run_and_to_resume_with_other_options()
    {
        var data = TrainingData.Squares(40, 32, seed: 6);
        using var dir = new TempFolder();
        var options = Tiny(TrainingMode.Natural, epochs: 1);
        Run(options, data, dir["run"]);
        Assert.Contains("--resume", Assert.Throws<MaskbenchException>(() => Run(options, data, dir["run"])).Message);
        Assert.Contains("training option", Assert.Throws<MaskbenchException>(() =>
            Run(options with { LearningRate = 0.2 }, data, dir["run"], resume: true)).Message);
    }

    [Fact]
    public void Validation_slice_is_disjoint_from_training_and_fixed_by_the_seed()
    {
        var trainer = new Trainer(new TrainingOptions { ValidationCount = 10, Seed = 3, LimitTrain = 50 }, NullProgress.Instance);
        var (v, t) = trainer.Split(100);
        Assert.Equal(10, v.Length);
        Assert.Equal(50, t.Length);
        Assert.Empty(v.Intersect(t));
        Assert.Equal(v, trainer.Split(100).Validation);
        Assert.NotEqual(v, new Trainer(new TrainingOptions { ValidationCount = 10, Seed = 4 }, NullProgress.Instance).Split(100).Validation);
    }

    [Fact]
    public void A_run_killed_before_its_first_checkpoint_starts_over_with_or_without_resume()
    {
        var data = TrainingData.Squares(40, 32, seed: 6);
        using var dir = new TempFolder();
        var options = Tiny(TrainingMode.Natural, epochs: 1);
        foreach (string folder in new[] { dir["fresh"], dir["resumed"] })
        {
            using var cancelled = new CancellationTokenSource();
            cancelled.Cancel();   // stops at the first batch: run.json written, no checkpoint yet
            Assert.ThrowsAny<OperationCanceledException>(() => Run(options, data, folder, cancellation: cancelled.Token));
            Assert.True(File.Exists(Path.Combine(folder, "run.json")));
            Assert.False(File.Exists(Path.Combine(folder, "last.ckpt")));
        }
        Assert.Single(Run(options, data, dir["fresh"]).Epochs);
        Assert.Single(Run(options, data, dir["resumed"], resume: true).Epochs);
        // With --resume the options must still match the stopped run's.
        using var again = new CancellationTokenSource();
        again.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => Run(options, data, dir["other"], cancellation: again.Token));
        Assert.Contains("training option", Assert.Throws<MaskbenchException>(() =>
            Run(options with { LearningRate = 0.2 }, data, dir["other"], resume: true)).Message);
        Assert.Contains("nothing to resume", Assert.Throws<MaskbenchException>(() => Run(options, data, dir["never"], resume: true)).Message);
    }

    [Fact]
    public void A_failed_extension_leaves_run_json_as_it_was()
    {
        var data = TrainingData.Squares(40, 32, seed: 6);
        using var dir = new TempFolder();
        var options = Tiny(TrainingMode.Natural, epochs: 1);
        Run(options, data, dir["run"]);
        string before = File.ReadAllText(dir["run/run.json"]);
        byte[] checkpoint = File.ReadAllBytes(dir["run/last.ckpt"]);
        Array.Clear(checkpoint, checkpoint.Length / 2, 64);   // zeroed in the middle: the recorded data hash no longer fits
        File.WriteAllBytes(dir["run/last.ckpt"], checkpoint);
        var e = Assert.Throws<DataFormatException>(() => Run(options with { Epochs = 5 }, data, dir["run"], resume: true));
        Assert.Contains("last.ckpt", e.Message);
        Assert.Equal(before, File.ReadAllText(dir["run/run.json"]));
    }
}
