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
        AttackTheRunAsDeployed(dir, "predicted", "masker");
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

    /// <summary>
    /// The run records the masker (pinned by its weights' hash), and `attack --model RUN` feeds the classifier x ⊙ the
    /// masker's thresholded prediction, as deployed: its natural accuracy equals a direct computation from the masker and
    /// the classifier. A changed masker is refused, naming its weights file.
    /// </summary>
    static void AttackTheRunAsDeployed(TempFolder dir, string run, string maskerFolder)
    {
        var info = new Maskbench.Training.RunFolder(dir[run]).ReadInfo();
        Assert.Equal(new Maskbench.Training.InputMaskRecord(Maskbench.Masks.MaskKind.Predicted, Masker: Path.GetFullPath(dir[maskerFolder]),
            MaskerWeightsSha256: new MaskerRun(dir[maskerFolder]).WeightsSha256()), info.InputMasks);

        var (code, stdout, stderr) = CliProcess.Run("attack", "--model", dir[run], "--data", dir["data"], "--split", "test", "--eps", "2/255",
            "--steps", "1", "--out", dir["deployed.json"], "--threads", "1");
        Assert.True(code == 0, stderr + stdout);
        var report = JsonSerializer.Deserialize<Maskbench.Evaluation.RobustnessReport>(File.ReadAllText(dir["deployed.json"]), JsonFormat.Options)!;
        Assert.Contains($"masks predicted by {Path.GetFullPath(dir[maskerFolder])}", report.Model);

        using (var data = DatasetStore.Open(dir["data"]))
        using (var scope = TorchSharp.torch.NewDisposeScope())
        using (var masker = new MaskerRun(dir[maskerFolder]).Load(TorchSharp.torch.CPU))
        {
            var (classifier, _) = Maskbench.Evaluation.AttackedModel.LoadClassifier(dir[run], TorchSharp.torch.CPU);
            using var _ = classifier;
            var test = data.Split("test").Load();
            // The store's layout is N x S x S x 3 (RGB bytes); the models take N x 3 x S x S in [0, 1].
            var images = TorchSharp.torch.tensor(test.Images.Select(b => b / 255f).ToArray(),
                [test.Count, test.ImageSize, test.ImageSize, 3]).permute(0, 3, 1, 2).contiguous();
            using var noGrad = TorchSharp.torch.no_grad();
            var mask = masker.SoftMask(images).ge(MaskIoU.Threshold).to_type(TorchSharp.torch.ScalarType.Float32);
            var predictions = classifier.call(images * mask).argmax(1).data<long>().ToArray();
            int correct = predictions.Where((p, i) => p == test.Labels[i]).Count();
            Assert.Equal(correct / (double)test.Count, report.NaturalAccuracy, 12);
        }

        // Another masker's weights (here: one byte changed) are not the masker the run was trained with.
        string weights = new MaskerRun(dir[maskerFolder]).WeightsPath, saved = dir["weights.saved"];
        File.Copy(weights, saved);
        var bytes = File.ReadAllBytes(weights);
        bytes[^1] ^= 1;
        File.WriteAllBytes(weights, bytes);
        (code, _, stderr) = CliProcess.Run("attack", "--model", dir[run], "--data", dir["data"], "--split", "test", "--steps", "1", "--threads", "1");
        File.Copy(saved, weights, overwrite: true);
        Assert.Equal(1, code);
        Assert.Contains(weights, stderr);
        Assert.Contains("not the masker", stderr);
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
        // `attack` cannot evaluate a joint run's classifier on its own: it says where the pipeline is.
        (code, _, stderr) = CliProcess.Run("attack", "--model", dir["joint"], "--data", dir["data"], "--steps", "1", "--threads", "1");
        Assert.Equal(1, code);
        Assert.Contains($"attack-pipeline --model {dir["joint"]} --masker {Path.Combine(dir["joint"], "masker")}", stderr);
    }
}
