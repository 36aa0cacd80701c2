using System.Text.Json.Nodes;
using Maskbench.Tests.Support;

namespace Maskbench.Tests.Cli;

/// <summary>`build coco` with its defaults: the paper's classes (person left out) and a manifest that does not depend on where it is built.</summary>
public class BuildCocoCommandTests
{
    static (int Code, string Stderr) Build(string root, params string[] extra)
    {
        var (code, _, stderr) = CliProcess.Run(["build", "coco", "--annotations", Path.Combine(root, "src/annotations/instances_synthetic.json"),
            "--images", Path.Combine(root, "src/images"), "--split", "train", "--out", Path.Combine(root, "ds"), "--size", "16", .. extra]);
        return (code, stderr);
    }

    [Fact]
    public void SameBuildInTwoFoldersGivesTheSameManifestAndExcludesPersonByDefault()
    {
        using var tmp = new TempFolder();
        foreach (string root in new[] { tmp["one"], tmp["elsewhere/two"] })
        {
            var synth = CliProcess.Run("synth", "coco", "--out", Path.Combine(root, "src"), "--images", "12", "--seed", "2");
            Assert.True(synth.ExitCode == 0, synth.Stderr);
            var (code, stderr) = Build(root);
            Assert.True(code == 0, stderr);
        }
        string a = File.ReadAllText(tmp["one/ds/dataset.json"]), b = File.ReadAllText(tmp["elsewhere/two/ds/dataset.json"]);
        Assert.Equal(a, b);
        Assert.DoesNotContain(tmp.Path, a);
        var manifest = JsonNode.Parse(a)!;
        var record = manifest["build_parameters"]!["splits"]!["train"]!;
        Assert.Equal("../src/images", (string?)record["images"]);
        Assert.Equal("../src/annotations/instances_synthetic.json", (string?)record["annotations"]![0]);
        Assert.Equal(["person"], record["exclude"]!.AsArray().Select(n => (string?)n));
        Assert.DoesNotContain("person", ClassNames(manifest));

        // Asked for: --exclude none keeps person as a class candidate.
        var (c2, e2) = Build(tmp["one"], "--exclude", "none", "--out", tmp["with-person"]);
        Assert.True(c2 == 0, e2);
        Assert.Contains("person", ClassNames(JsonNode.Parse(File.ReadAllText(tmp["with-person/dataset.json"]))!));
    }

    static IReadOnlyList<string?> ClassNames(JsonNode manifest) => manifest["class_names"]!.AsArray().Select(n => (string?)n).ToList();
}
