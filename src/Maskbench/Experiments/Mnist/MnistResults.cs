using System.Globalization;
using System.Text.Json;
using Maskbench.Reports;
using Maskbench.Files;

namespace Maskbench.Experiments.Mnist;

/// <summary>results.json of the MNIST baseline (accuracies in percent, two decimals, as printed).</summary>
public sealed class MnistResults
{
    public string Schema { get; set; } = "maskbench-mnist-results/1";
    public int TrainImages { get; set; }
    public int TestImages { get; set; }
    public int EvaluatedImages { get; set; }
    public int Epochs { get; set; }
    public double Width { get; set; }
    public int Steps { get; set; }
    public double Threshold { get; set; }
    public List<double> Epsilons { get; set; } = [];
    public double TrainingSeconds { get; set; }
    public List<MnistEpoch> Curve { get; set; } = [];
    public List<MnistRow> Rows { get; set; } = [];
    /// <summary>How the convolutions were computed (kernel verdicts against float64 and routes), training and attacks together.</summary>
    public Kernels.KernelProvenance? Kernels { get; set; }

    public static MnistResults Load(string path) =>
        JsonSerializer.Deserialize<MnistResults>(File.ReadAllText(path), JsonFormat.Options) ?? throw new DataFormatException(path, "empty results");

    /// <summary>Writes results.json, then report.md and report.html rendered from the file just written.</summary>
    public string WriteReport(string outFolder)
    {
        Directory.CreateDirectory(outFolder);
        string path = Path.Combine(outFolder, "results.json");
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, JsonFormat.Options));
        var r = Load(path);
        var blocks = r.Blocks();
        AtomicFile.WriteAllText(Path.Combine(outFolder, "report.md"), ReportWriter.Markdown(blocks));
        string html = Path.Combine(outFolder, "report.html");
        AtomicFile.WriteAllText(html, ReportWriter.Html(blocks));
        return html;
    }

    List<ReportBlock> Blocks()
    {
        static string F(double v) => v.ToString("F2", CultureInfo.InvariantCulture);
        static string E(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
        var plain = Rows.FirstOrDefault(r => r.Model.StartsWith("plain"));
        var binarizedPgd = Rows.FirstOrDefault(r => r.Model.EndsWith(", PGD") && r.Model.StartsWith("binarized"));
        var bpda = Rows.FirstOrDefault(r => r.Model.EndsWith("BPDA"));
        double? last(MnistRow? r) => r?.Robust.LastOrDefault()?.Accuracy;
        var blocks = new List<ReportBlock>
        {
            new HeadingBlock(1, "MNIST binarization baseline"),
            new ParagraphBlock($"A SmallCnn (width x{E(Width)}) trained naturally for {Epochs} epochs on {TrainImages} images of MNIST's test file, "
                + $"evaluated on {EvaluatedImages} of the other {TestImages}. "
                + $"The binarized model is the same network behind a threshold at {E(Threshold)}. Attacks: L∞ PGD with {Steps} steps and a random "
                + "start; "
                + "BPDA differentiates through the threshold as if it were the identity (straight-through)."),
            new TableBlock(["model and attack", "natural", .. Epsilons.Select(e => $"ε={E(e)}")],
                Rows.Select(r => (IReadOnlyList<string>)[r.Model, F(r.Natural), .. r.Robust.Select(p => F(p.Accuracy))]).ToList()),
        };
        if (plain is not null && binarizedPgd is not null && bpda is not null)
            blocks.Add(new ParagraphBlock($"At ε={E(Epsilons.Last())}: the plain CNN keeps {F(last(plain) ?? 0)}%; the binarized CNN keeps "
                + $"{F(last(binarizedPgd) ?? 0)}% against plain PGD, "
                + $"whose gradient through the threshold is zero, and {F(last(bpda) ?? 0)}% against BPDA. "
                + (last(bpda) < last(binarizedPgd) ? "The difference is robustness that only existed because the gradient was hidden."
                                                   : "BPDA does not break it: thresholding removes perturbations smaller than the distance of most "
                                                   + "pixels to the threshold.")));
        blocks.Add(new HeadingBlock(2, "Training"));
        blocks.Add(new TableBlock(["epoch", "loss", "train accuracy"], Curve.Select(c => (IReadOnlyList<string>)
            [c.Epoch.ToString(CultureInfo.InvariantCulture), c.Loss.ToString("0.####", CultureInfo.InvariantCulture), F(c.Accuracy)]).ToList()));
        return blocks;
    }
}

public sealed class MnistRow
{
    public required string Model { get; set; }
    public double Natural { get; set; }
    public List<MnistPoint> Robust { get; set; } = [];
}

public sealed record MnistPoint(double Epsilon, double Accuracy);
public sealed record MnistEpoch(int Epoch, double Loss, double Accuracy);
