using System.Text.Json;
using Maskbench.Attacks;
using Maskbench.Data;
using Maskbench.Evaluation.Pipeline;
using Maskbench.Masks.Learned;
using Maskbench.Tests.Masks.Learned;
using Maskbench.Tests.Support;
using Maskbench.Files;

namespace Maskbench.Tests.Cli;

public class LearnedMaskCliTests
{
    [Fact]
    public void TrainMaskerTrainOnPredictedMasksAndAttackThePipelineFromTheCommandLine()
    {
        using var dir = new TempFolder();
        DatasetStore.Write(dir["data"], SyntheticSplits.Manifest(32, TinySegmentation.Classes), new Dictionary<string, SplitArrays>
        {
            ["train"] = TinySegmentation.Generate(64, seed: 21, size: 32), ["test"] = TinySegmentation.Generate(16, seed: 22, size: 32),
        });
        var (code, stdout, stderr) = CliProcess.Run("train-masker", "--data", dir["data"], "--out", dir["masker"], "--mode", "pgd", "--epochs", "2",
            "--width", "2", "--depth", "2", "--eps", "4/255", "--steps", "1", "--batch", "32", "--lr", "0.01", "--seed", "3", "--limit-train", "48",
            "--no-augment", "--threads", "1");
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("test IoU", stdout);
        var info = new MaskerRun(dir["masker"]).ReadInfo();
        Assert.Equal((2, 2, 32), (info.Spec.BaseWidth, info.Spec.Depth, info.Spec.InputSize));
        Assert.Equal(MaskerTrainingMode.Pgd, info.Options.Mode);
        Assert.Equal(4.0 / 255, info.Options.Epsilon, 12);
        Assert.Equal((1, 32, 0.01, 3, 48, false), (info.Options.Steps, info.Options.BatchSize, info.Options.LearningRate, info.Options.Seed,
            info.Options.LimitTrain, info.Options.Augment));
        Assert.Equal(2, info.Epochs.Count);
        Assert.Equal(16, info.Test!.Clean.Count);
        Assert.NotNull(info.Test.UnderAttack);
        Assert.True(File.Exists(dir["masker/model.safetensors"]) && File.Exists(dir["masker/model.json"]));

        // Never overwrite a masker.
        (code, _, stderr) = CliProcess.Run("train-masker", "--data", dir["data"], "--out", dir["masker"], "--epochs", "1", "--threads", "1");
        Assert.Equal(1, code);
        Assert.Contains("already holds a masker", stderr);

        // A classifier trained on the masker's predictions differs from one trained on the dataset's masks (same seed).
        string[] train = ["train", "--data", dir["data"], "--arch", "vgg11", "--width", "0.0625", "--masked", "--epochs", "1", "--batch", "16",
            "--val", "0", "--threads", "1"];
        (code, _, stderr) = CliProcess.Run([.. train, "--out", dir["oracle"]]);
        Assert.True(code == 0, stderr);
        (code, _, stderr) = CliProcess.Run([.. train, "--out", dir["predicted"], "--masker", dir["masker"]]);
        Assert.True(code == 0, stderr);
        Assert.NotEqual(File.ReadAllBytes(dir["oracle/last.ckpt"]), File.ReadAllBytes(dir["predicted/last.ckpt"]));
        (code, _, stderr) = CliProcess.Run("train", "--data", dir["data"], "--arch", "smallcnn", "--epochs", "1", "--out", dir["x"], "--masker",
            dir["masker"]);
        Assert.Equal(1, code);
        Assert.Contains("--masked", stderr);

        (code, stdout, stderr) = CliProcess.Run("attack-pipeline", "--model", dir["predicted"], "--masker", dir["masker"], "--data", dir["data"],
            "--mask-mode", "soft", "--threat", "full", "--attacks", "non-adaptive,end-to-end", "--eps", "2/255", "--steps", "2", "--limit", "12",
            "--batch", "5", "--seed", "4", "--out", dir["pipeline.json"], "--examples", dir["grid.png"], "--threads", "1");
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("worst case per example", stdout);
        var report = JsonSerializer.Deserialize<PipelineReport>(File.ReadAllText(dir["pipeline.json"]), JsonFormat.Options)!;
        Assert.Equal(("soft", ThreatRegion.Full, 2.0 / 255, 2, 12),
            (report.MaskMode, report.Region, report.Epsilon, report.Steps, report.Natural.Count));
        Assert.Equal([PipelineAttack.NonAdaptive, PipelineAttack.EndToEnd], report.Attacks.Select(a => a.Attack));
        Assert.True(new FileInfo(dir["grid.png"]).Length > 0);

        (code, _, stderr) = CliProcess.Run("attack-pipeline", "--model", dir["predicted"], "--masker", dir["masker"], "--data", dir["data"],
            "--mask-mode", "soft", "--attacks", "straight-through", "--threads", "1");
        Assert.Equal(1, code);
        Assert.Contains("threshold", stderr);
    }

    [Fact]
    public void TrainJointlyFromTheCommandLineAndAttackThePipelineItWrites()
    {
        using var dir = new TempFolder();
        DatasetStore.Write(dir["data"], SyntheticSplits.Manifest(32, TinySegmentation.Classes), new Dictionary<string, SplitArrays>
        {
            ["train"] = TinySegmentation.Generate(48, seed: 23, size: 32), ["test"] = TinySegmentation.Generate(8, seed: 24, size: 32),
        });
        var (code, stdout, stderr) = CliProcess.Run("train-masker", "--data", dir["data"], "--out", dir["masker"], "--epochs", "1",
            "--width", "2", "--depth", "2", "--eps", "0", "--batch", "16", "--no-augment", "--threads", "1");
        Assert.True(code == 0, stderr + stdout);

        string[] train = ["train", "--data", dir["data"], "--arch", "vgg11", "--width", "0.0625", "--masked", "--masker", dir["masker"],
            "--epochs", "1",
            "--batch", "16", "--val", "8", "--val-steps", "1", "--threads", "1"];
        (code, stdout, stderr) = CliProcess.Run([.. train, "--out", dir["joint"], "--joint", "--mode", "pgd", "--eps", "2/255", "--steps", "1",
            "--segmentation-weight", "0.5", "--masker-lr", "0.003", "--joint-mask", "soft"]);
        Assert.True(code == 0, stderr + stdout);
        var options = new Maskbench.Training.RunFolder(dir["joint"]).ReadInfo().Options;
        Assert.Equal((dir["masker"], 0.5, 0.003, Maskbench.Attacks.MaskMode.Soft),
            (options.Joint!.Masker, options.Joint.SegmentationWeight, options.Joint.MaskerLearningRate, options.Joint.Mask));
        var tuned = new MaskerRun(dir["joint/masker"]).ReadInfo();
        Assert.Equal((0.5, 0.003, Maskbench.Training.TrainingMode.Pgd),
            (tuned.FineTuning!.SegmentationWeight, tuned.FineTuning.MaskerLearningRate, tuned.FineTuning.Mode));
        Assert.NotEqual(File.ReadAllBytes(dir["masker/model.safetensors"]), File.ReadAllBytes(dir["joint/masker/model.safetensors"]));

        // Without the tuning options --joint uses the library's defaults; the tuning options without --joint are refused.
        (code, _, stderr) = CliProcess.Run([.. train, "--out", dir["defaults"], "--joint"]);
        Assert.True(code == 0, stderr);
        var defaults = new Maskbench.Training.JointTrainingOptions { Masker = dir["masker"] };
        Assert.Equal(defaults, new Maskbench.Training.RunFolder(dir["defaults"]).ReadInfo().Options.Joint);
        (code, _, stderr) = CliProcess.Run([.. train, "--out", dir["x"], "--segmentation-weight", "2"]);
        Assert.Equal(1, code);
        Assert.Contains("--joint", stderr);
        (code, _, stderr) = CliProcess.Run("train", "--data", dir["data"], "--arch", "vgg11", "--masked", "--joint", "--out", dir["y"],
            "--threads", "1");
        Assert.Equal(1, code);
        Assert.Contains("--masker", stderr);
        (code, _, stderr) = CliProcess.Run([.. train, "--out", dir["z"], "--joint", "--mode", "fast"]);
        Assert.Equal(1, code);
        Assert.Contains("natural and pgd", stderr);

        (code, _, stderr) = CliProcess.Run([.. train, "--out", dir["w"], "--joint", "--joint-mask", "hard"]);
        Assert.Equal(1, code);
        Assert.Contains("--joint-mask hard", stderr);

        (code, stdout, stderr) = CliProcess.Run("attack-pipeline", "--model", dir["joint"], "--masker", dir["joint/masker"], "--data", dir["data"],
            "--mask-mode", "soft", "--attacks", "non-adaptive,full-image", "--eps", "2/255", "--steps", "1", "--threads", "1");
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("worst case per example", stdout);
    }
}
