using Maskbench.Data;
using Maskbench.Data.Synthetic;
using Maskbench.Progress;
using Maskbench.Tests.Support;

namespace Maskbench.Tests.Cli;

/// <summary>
/// Bad input through the real `maskbench` process: one line on stderr naming the file or option, exit code 1 or 2
/// (never 3, which is kept for bugs), and nothing the user had is lost.
/// </summary>
public class BadInputCliTests
{
    static void UserFiles(string folder)
    {
        Directory.CreateDirectory(Path.Combine(folder, "sub"));
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "mine");
        File.WriteAllText(Path.Combine(folder, "sub", "x"), "also mine");
    }

    static void UserFilesIntact(string folder)
    {
        Assert.Equal("mine", File.ReadAllText(Path.Combine(folder, "notes.txt")));
        Assert.Equal("also mine", File.ReadAllText(Path.Combine(folder, "sub", "x")));
    }

    static void OneLineError(int expectedCode, int code, string stderr, params string[] mentions)
    {
        Assert.True(code == expectedCode, $"exit {code}: {stderr}");
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.DoesNotContain("internal error", stderr);
        foreach (string m in mentions) Assert.Contains(m, stderr);
    }

    [Fact]
    public void Build_gtsrb_refuses_a_folder_of_the_users_files_and_with_force_keeps_them()
    {
        using var temp = new TempFolder();
        SyntheticGtsrb.Write(temp["syn"], new SyntheticGtsrbOptions(Classes: 2, TrainPerClass: 3, TestPerClass: 1, Seed: 2, TrackLength: 1),
            NullProgress.Instance);
        UserFiles(temp["notes"]);
        var (code, _, stderr) = CliProcess.Run("build", "gtsrb", "--src", temp["syn"], "--out", temp["notes"], "--size", "8", "--threads", "1");
        OneLineError(1, code, stderr, temp["notes"], "--force");
        UserFilesIntact(temp["notes"]);
        Assert.False(File.Exists(temp["notes/dataset.json"]));

        // --force writes the dataset's files beside the user's; a rebuild (same builder) keeps them too.
        (code, _, stderr) = CliProcess.Run("build", "gtsrb", "--src=" + temp["syn"], "--out=" + temp["notes"], "--size=8", "--force",
            "--threads", "1");
        Assert.True(code == 0, stderr);
        (code, _, stderr) = CliProcess.Run("build", "gtsrb", "--src", temp["syn"], "--out", temp["notes"], "--size", "12", "--threads", "1");
        Assert.True(code == 0, stderr);
        UserFilesIntact(temp["notes"]);
        using (var ds = DatasetStore.Open(temp["notes"]))
        {
            Assert.Equal(12, ds.Manifest.ImageSize);
            Assert.Equal(6, ds.Split("train").Count);
        }

        // A dataset of another builder is not replaced either.
        DatasetStore.Write(temp["other"], SyntheticSplits.Manifest(8, 2), new Dictionary<string,
            SplitArrays> { ["train"] = SyntheticSplits.Random(5, 8, 2, 1) });
        string before = File.ReadAllText(temp["other/dataset.json"]);
        (code, _, stderr) = CliProcess.Run("build", "gtsrb", "--src", temp["syn"], "--out", temp["other"], "--size", "8");
        OneLineError(1, code, stderr, "another builder", "--force");
        Assert.Equal(before, File.ReadAllText(temp["other/dataset.json"]));
    }

    [Fact]
    public void Build_coco_refuses_a_folder_of_the_users_files_before_reading_anything()
    {
        using var temp = new TempFolder();
        UserFiles(temp["notes"]);
        var (code, _, stderr) = CliProcess.Run("build", "coco", "--annotations", temp["missing.json"], "--images", temp["images"], "--split",
            "train", "--out", temp["notes"]);
        OneLineError(1, code, stderr, "notes", "--force");
        UserFilesIntact(temp["notes"]);
    }

    [Fact]
    public void Attack_refuses_a_changed_dataset_bad_numbers_and_an_unwritable_out()
    {
        using var temp = new TempFolder();
        DatasetStore.Write(temp["ds"], SyntheticSplits.Manifest(8, 2), new Dictionary<string,
            SplitArrays> { ["test"] = SyntheticSplits.Random(6, 8, 2, 1) });

        var (code, _, stderr) = CliProcess.Run("attack", "--model", temp["no-model"], "--data", temp["ds"], "--steps", "0");
        OneLineError(2, code, stderr, "--steps 0", "[1, 1000000]");
        (code, _, stderr) = CliProcess.Run("attack", "--model=" + temp["no-model"], "--data=" + temp["ds"], "--batch-size=0");
        OneLineError(2, code, stderr, "--batch-size 0");

        // --out through a regular file: refused before the model is even loaded.
        File.WriteAllText(temp["file"], "");
        (code, _, stderr) = CliProcess.Run("attack", "--model", temp["no-model"], "--data", temp["ds"], "--out", temp["file/result.json"]);
        OneLineError(1, code, stderr, "--out", "cannot write");

        byte[] images = File.ReadAllBytes(temp["ds/test/images.npy"]);
        images[^5] ^= 1;
        File.WriteAllBytes(temp["ds/test/images.npy"], images);
        (code, _, stderr) = CliProcess.Run("attack", "--model", temp["no-model"], "--data", temp["ds"]);
        OneLineError(1, code, stderr, "images.npy", "SHA-256");
    }

    [Fact]
    public void Reproduce_with_equals_options_reports_the_missing_dataset()
    {
        using var temp = new TempFolder();
        var (code, _, stderr) = CliProcess.Run("reproduce", "--data=" + temp["nothing"], "--out=" + temp["out"]);
        OneLineError(1, code, stderr, temp["nothing"]);
        Assert.False(Directory.Exists(temp["out"]));
    }
}
