using Maskbench.Data;
using Maskbench.Tests.Support;
using Maskbench.Tests.Training;

namespace Maskbench.Tests.Cli;

public class TrainCliTests
{
    [Fact]
    public void Train_export_import_from_the_command_line()
    {
        using var dir = new TempFolder();
        var manifest = SyntheticSplits.Manifest(32, 2);
        DatasetStore.Write(dir["data"], manifest, new Dictionary<string, SplitArrays> { ["train"] = TrainingData.Squares(24, 32, 1) });
        var (code, stdout, stderr) = CliProcess.Run("train", "--data", dir["data"], "--arch", "vgg11", "--width", "0.0625",
            "--mode", "pgd", "--masked", "--epochs", "1", "--out", dir["run"], "--eps", "4/255", "--steps", "1", "--step-size", "1/255",
            "--batch", "8", "--val", "8", "--val-steps", "1", "--threads", "1", "--precision", "bf16");
        Assert.True(code == 0, stderr + stdout);
        Assert.Contains("best epoch 1", stdout);
        var info = new Maskbench.Training.RunFolder(dir["run"]).ReadInfo();
        Assert.Equal(4.0 / 255, info.Options.Epsilon, 12);
        Assert.True(info.Model.Masked);
        Assert.Equal(Maskbench.Attacks.Precision.Bf16, info.Options.Precision);

        (code, _, stderr) = CliProcess.Run("train", "--data", dir["data"], "--arch", "vgg11", "--epochs", "1", "--out", dir["other"],
            "--precision", "fp16");
        Assert.NotEqual(0, code);
        Assert.Contains("--precision fp16", stderr);

        (code, _, stderr) = CliProcess.Run("train", "--data", dir["data"], "--arch", "vgg11", "--epochs", "1", "--out", dir["run"], "--eps", "8/0");
        Assert.Equal(2, code);   // a bad option value is a usage error, refused before any work
        Assert.Contains("--eps 8/0", stderr);

        (code, _, stderr) = CliProcess.Run("export", "--model", dir["run"], "--out", dir["export"]);
        Assert.True(code == 0, stderr);
        Assert.True(File.Exists(dir["export/model.safetensors"]) && File.Exists(dir["export/check.safetensors"]));
        (code, _, stderr) = CliProcess.Run("import", "--weights", dir["export"], "--out", dir["imported"]);
        Assert.True(code == 0, stderr);
        Assert.True(File.Exists(dir["imported/best.ckpt"]));
    }
}
