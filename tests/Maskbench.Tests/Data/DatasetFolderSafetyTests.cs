using Maskbench.Data;
using Maskbench.Data.Coco;
using Maskbench.Data.Gtsrb;
using Maskbench.Progress;
using Maskbench.Tests.Support;

namespace Maskbench.Tests.Data;

/// <summary>
/// Writing a dataset never loses anything: a folder of other files or another builder's dataset is refused unless
/// forced; forced or not, files the store did not write are kept; a dataset is replaced only as a whole.
/// </summary>
public class DatasetFolderSafetyTests
{
    static DatasetManifest Manifest(string builder)
    {
        var m = SyntheticSplits.Manifest(8, 3);
        m.BuildParameters["builder"] = builder;
        return m;
    }

    static Dictionary<string, SplitArrays> Splits(params string[] names) =>
        names.Select((n, i) => (n, SyntheticSplits.Random(4 + i, 8, 3, seed: i + 1))).ToDictionary(x => x.n, x => x.Item2);

    static Dictionary<string, string> Snapshot(string folder) =>
        Directory.GetFiles(folder, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(folder, f), File.ReadAllText);

    [Fact]
    public void A_folder_of_other_files_is_refused_and_with_force_keeps_them()
    {
        using var temp = new TempFolder();
        string folder = temp["notes"];
        Directory.CreateDirectory(Path.Combine(folder, "sub"));
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "mine");
        File.WriteAllText(Path.Combine(folder, "sub", "x"), "also mine");
        var before = Snapshot(folder);

        var e = Assert.Throws<MaskbenchException>(() => DatasetStore.Write(folder, Manifest("b"), Splits("train", "test")));
        Assert.Contains("notes.txt", e.Message);
        Assert.Contains("--force", e.Message);
        Assert.Equal(before, Snapshot(folder));

        DatasetStore.Write(folder, Manifest("b"), Splits("train", "test"), force: true);
        // Rewriting (same builder) with one split fewer: the store's old test/ files go, the user's files stay.
        DatasetStore.Write(folder, Manifest("b"), Splits("train"));
        foreach (var (file, text) in before) Assert.Equal(text, File.ReadAllText(Path.Combine(folder, file)));
        Assert.False(Directory.Exists(Path.Combine(folder, "test")));
        using (var ds = DatasetStore.Open(folder)) Assert.Equal(4, ds.Split("train").Count);
        Assert.Equal(["notes"], Directory.GetFileSystemEntries(temp.Path).Select(Path.GetFileName));   // no temporaries
    }

    [Fact]
    public void Another_builders_dataset_is_refused_and_the_same_builders_is_replaced_whole()
    {
        using var temp = new TempFolder();
        string folder = temp["ds"];
        DatasetStore.Write(folder, Manifest("coco"), Splits("train", "test"));
        var before = Snapshot(folder);
        var e = Assert.Throws<MaskbenchException>(() => DatasetStore.Write(folder, Manifest("maskbench build gtsrb"), Splits("train")));
        Assert.Contains("another builder (coco", e.Message);
        Assert.Equal(before, Snapshot(folder));

        DatasetStore.Write(folder, Manifest("coco"), Splits("test"));
        Assert.Equal(["dataset.json", "test/images.npy", "test/labels.npy", "test/masks.npy"],
            Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(folder, f)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Builders_check_the_folder_before_reading_their_sources()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp["notes"]);
        File.WriteAllText(temp["notes/notes.txt"], "mine");
        // The sources do not exist: the folder is what the error is about, so nothing was read or computed.
        var gtsrb = Assert.Throws<MaskbenchException>(() => GtsrbDatasetBuilder.Build(temp["no-such-root"], temp["notes"], new GtsrbBuildOptions(),
            NullProgress.Instance));
        Assert.Contains("--force", gtsrb.Message);
        var coco = Assert.Throws<MaskbenchException>(() => CocoCropDataset.Build(temp["notes"],
            new CocoCropOptions { AnnotationFiles = [temp["none.json"]], ImageFolder = temp["images"], Split = "train" }, NullProgress.Instance));
        Assert.Contains("--force", coco.Message);
        // An unwritable place (a path through a regular file) is refused up front too.
        var unwritable = Assert.Throws<MaskbenchException>(() => GtsrbDatasetBuilder.Build(temp["no-such-root"], temp["notes/notes.txt/ds"],
            new GtsrbBuildOptions(), NullProgress.Instance));
        Assert.Contains("cannot write", unwritable.Message);
        Assert.Equal("mine", File.ReadAllText(temp["notes/notes.txt"]));
    }
}
