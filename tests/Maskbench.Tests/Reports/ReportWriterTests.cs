using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Maskbench.Experiments;
using Maskbench.Progress;
using Maskbench.Reports;
using Maskbench.Tests.Experiments;
using Maskbench.Tests.Support;

namespace Maskbench.Tests.Reports;

public class ReportWriterTests
{
    internal static string MakeReport(TempFolder tmp)
    {
        var plan = FakeBackend.Plan();
        new GridRunner(plan, new CellStore(tmp.Path), new FakeBackend(), NullProgress.Instance).Run(CellSelection.All);
        return ExperimentReport.Write(plan, tmp.Path);
    }

    /// <summary>Every number in results.json: numeric values, and numbers written inside strings (class names, notes).</summary>
    static HashSet<decimal> NumbersIn(JsonNode? node, HashSet<decimal>? into = null)
    {
        into ??= [];
        switch (node)
        {
            case JsonObject o: foreach (var (_, v) in o) NumbersIn(v, into); break;
            case JsonArray a: foreach (var v in a) NumbersIn(v, into); break;
            // the report prints signs as text
            case JsonValue v when v.TryGetValue(out double d): into.Add(Math.Abs(Math.Round((decimal)d, 4))); break;
            case JsonValue v when v.TryGetValue(out string? s):
                foreach (Match m in Regex.Matches(s!, @"\d+(\.\d+)?")) into.Add(decimal.Parse(m.Value, CultureInfo.InvariantCulture));
                break;
        }
        return into;
    }

    [Fact]
    public void EveryNumberInTheReportsTablesComesFromResultsJson()
    {
        using var tmp = new TempFolder();
        MakeReport(tmp);
        var known = NumbersIn(JsonNode.Parse(File.ReadAllText(tmp["results.json"])));
        var lines = File.ReadAllLines(tmp["report.md"]);
        int checkedNumbers = 0;
        for (int i = 0; i < lines.Length; i++)
        {
            bool tableBody = lines[i].StartsWith('|') && i >= 2 && lines[i - 1].StartsWith('|') && !lines[i].StartsWith("|---");
            bool prose = !lines[i].StartsWith('|') && !lines[i].StartsWith('#') && !lines[i].StartsWith("![");
            if (!tableBody && !prose) continue;
            foreach (Match m in Regex.Matches(lines[i], @"\d+(\.\d+)?"))
            {
                decimal value = decimal.Parse(m.Value, CultureInfo.InvariantCulture);
                Assert.True(known.Contains(value), $"report.md line {i + 1}: {m.Value} is not in results.json: {lines[i]}");
                checkedNumbers++;
            }
        }
        Assert.True(checkedNumbers > 100, $"only {checkedNumbers} numbers checked");
    }

    [Fact]
    public void ReRenderingFollowsAnEditedResultsJson()
    {
        using var tmp = new TempFolder();
        MakeReport(tmp);
        var json = JsonNode.Parse(File.ReadAllText(tmp["results.json"]))!;
        var row = json["table4"]!.AsArray().First(r => (string?)r!["row"] == "masked-A")!;
        row["pgd"] = 12.34;
        File.WriteAllText(tmp["edited.json"], json.ToJsonString());
        ReportWriter.Render(tmp["edited.json"], tmp["again"], tmp.Path);
        string md = File.ReadAllText(tmp["again/report.md"]);
        string line = md.Split('\n').Single(l => l.StartsWith("| masked-A | 80.00 ["));
        Assert.Contains("| 91.20 | −11.20 |", line);
        Assert.Contains("| 12.34 [", line);
        Assert.Contains("| 64.57 |", line);
    }

    /// <summary>A section whose cells a run did not compute says so in one line instead of printing a table with no rows.</summary>
    [Fact]
    public void SectionsARunDidNotComputeSaySoInsteadOfShowingEmptyTables()
    {
        using var tmp = new TempFolder();
        MakeReport(tmp);
        var json = JsonNode.Parse(File.ReadAllText(tmp["results.json"]))!;
        Assert.NotEmpty(json["randomMaskControl"]!.AsArray());
        Assert.NotEmpty(json["fullImageThreat"]!.AsArray());
        json["randomMaskControl"] = new JsonArray();
        json["fullImageThreat"] = new JsonArray();
        foreach (var model in json["models"]!.AsArray())
        {
            model!["strong"] = null;
            model["attacks"] = new JsonObject();
        }
        File.WriteAllText(tmp["partial.json"], json.ToJsonString());
        ReportWriter.Render(tmp["partial.json"], tmp["partial"], tmp.Path);
        var lines = File.ReadAllLines(tmp["partial/report.md"]);
        Assert.Equal(3, lines.Count(l => l.StartsWith("Not run: this run has no results for", StringComparison.Ordinal)));
        // Every table header is followed by its separator and at least one row.
        for (int i = 0; i + 1 < lines.Length; i++)
            if (lines[i].StartsWith("|---", StringComparison.Ordinal))
                Assert.True(i + 1 < lines.Length && lines[i + 1].StartsWith('|'), $"report.md line {i}: a table with no rows: {lines[i - 1]}");
        // The full report has none of these lines.
        Assert.DoesNotContain(File.ReadAllLines(tmp["report.md"]), l => l.StartsWith("Not run:", StringComparison.Ordinal));
    }

    [Fact]
    public void HtmlIsSelfContained()
    {
        using var tmp = new TempFolder();
        string html = File.ReadAllText(MakeReport(tmp));
        Assert.Contains("<style>", html);
        var sources = Regex.Matches(html, "(?:src|href)=\"([^\"]*)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(sources);
        Assert.All(sources, s => Assert.StartsWith("data:image/png;base64,", s));
        Assert.Contains("NOT the paper&#39;s scale", html);
        // Every figure the Markdown links exists beside it, and is a PNG.
        foreach (Match m in Regex.Matches(File.ReadAllText(tmp["report.md"]), @"\]\((figures/[^)]+)\)"))
            Assert.Equal(0x89, File.ReadAllBytes(tmp[m.Groups[1].Value])[0]);
        Assert.True(File.Exists(tmp["figures/sweep.png"]));
        Assert.True(File.Exists(tmp["figures/examples-adversarial-masked.png"]));
        // The grids are drawn from adversarial images kept as .npy (uint8, N x S x S x 3), which read back whole.
        var arrays = Directory.GetFiles(tmp["cells"], "*.adversarial.npy");
        Assert.NotEmpty(arrays);
        foreach (string array in arrays)
        {
            var images = Maskbench.Evaluation.AdversarialExampleWriter.ReadImages(array);
            Assert.NotEmpty(images);
            Assert.True(File.Exists(Path.ChangeExtension(Path.ChangeExtension(array, null), ".png")), $"no grid beside {array}");
        }
    }
}
