using Maskbench.Masks.Sources;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Maskbench.Attacks;
using Maskbench.Data;
using Maskbench.Data.Images;
using Maskbench.Evaluation;
using Maskbench.Evaluation.Pipeline;
using Maskbench.Masks.Learned;
using Maskbench.Models;
using Maskbench.Progress;
using Maskbench.Reports;
using Maskbench.Training;
using TorchSharp;
using static TorchSharp.torch;
using Maskbench.Files;

namespace Maskbench.Experiments;

/// <summary>
/// The predicted-mask rows of a finished grid: trains a masker on the dataset (<see cref="MaskerTraining"/>), puts it in
/// front of the grid's oracle-mask classifiers (natural and adversarial) as a thresholded pipeline, evaluates each
/// with <see cref="PipelineEvaluator"/> (every adaptive attack, worst case per example) and lays the results beside the
/// unmasked and oracle-mask rows. The masker and each pipeline's evaluation are cached in the grid folder.
/// </summary>
public static class PredictedMaskStage
{
    public sealed record Settings
    {
        public int BaseWidth { get; init; } = 8;
        public int Depth { get; init; } = 3;
        public int Epochs { get; init; } = 6;
        public int Steps { get; init; } = 10;
        public double Epsilon { get; init; } = ExperimentProfile.PaperEpsilon;
        public int TestLimit { get; init; }
        public int Seed { get; init; }
        public ThreatRegion Region { get; init; } = ThreatRegion.Foreground;
    }

    public const string Folder = "predicted-masks";

    /// <param name="masker">
    /// A trained masker to use (<c>reproduce --masker</c>); null trains one into the stage folder (the demo). The grid's
    /// predicted-mask models (trained on this masker's predictions) get their own pipeline rows beside the oracle-mask
    /// models behind the same masker.
    /// </param>
    public static PredictedMaskResults Run(string datasetFolder, string gridFolder, ExperimentResults results, Settings settings, Device device,
        IProgressSink progress, string? masker = null)
    {
        string stageFolder = Path.Combine(gridFolder, Folder);
        var maskerRun = new MaskerRun(masker ?? Path.Combine(stageFolder, "masker"));
        if (masker is not null)
        {
            if (!maskerRun.Exists) throw new MaskbenchException($"{masker}: no masker here (train one with `maskbench train-masker`)");
            progress.Info($"predicted masks: the masker in {maskerRun.Folder}");
        }
        else
        {
            string manifestSha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(datasetFolder,
                DatasetStore.ManifestFile))));
            if (maskerRun.Exists && maskerRun.ReadInfo().Dataset.Sha256 != manifestSha)
                throw new MaskbenchException($"{maskerRun.Folder} was trained on another dataset; delete that folder to retrain it");
            if (!maskerRun.Exists)
            {
                progress.Info($"predicted masks: training a U-Net masker (base width {settings.BaseWidth}, {settings.Epochs} epochs) -> "
                    + $"{maskerRun.Folder}");
                MaskerTraining.Run(datasetFolder, maskerRun.Folder, new MaskerTrainingOptions { Epochs = settings.Epochs, Seed = settings.Seed },
                    settings.BaseWidth, settings.Depth, null, 0, device, progress);
            }
            else progress.Info($"predicted masks: reusing the masker in {maskerRun.Folder}");
        }
        var info = maskerRun.ReadInfo();
        using var maskerModel = maskerRun.Load(device);
        using var dataset = DatasetStore.Open(datasetFolder, verifyHashes: false);
        var split = dataset.Split(dataset.HasSplit("test") ? "test" : "val");
        var test = split.Load(TorchExperimentBackend.TestRows(split.Count, settings.TestLimit));
        var cells = new CellStore(gridFolder).All().Where(c => c.Kind == CellSpec.Train && c.Training is not null).ToList();
        var section = new PredictedMaskResults
        {
            Masker = $"{info.Spec.Description}, {info.Parameters:N0} parameters, {info.Options.Epochs} epochs "
                + $"({info.Options.Mode.ToString().ToLowerInvariant()})",
            MaskerIoU = [info.Test!.Clean.Mean, info.Test.Clean.Low, info.Test.Clean.High],
            Threat = string.Create(CultureInfo.InvariantCulture,
                $"Threat: L∞ ε = {settings.Epsilon * 255:0.##}/255, PGD with {settings.Steps} steps per attack; base region "
                    + $"{settings.Region.Spelling()} ")
                + "(the non-adaptive, end-to-end and BPDA attacks), extended by the mask-growth attack, the whole image for the full-image attack.",
        };

        // One pipeline: the masker in front of a grid model's classifier, evaluated under every attack (cached).
        void AddPipeline(string letter, string pipeline, string rowMask, ModelResults model)
        {
            var cell = cells.FirstOrDefault(c => c.Id == $"train-{model.Id}" || c.Parameters.GetValueOrDefault("model.id") == model.Id);
            if (cell?.Training is null) return;
            // The cell stores its checkpoint relative to the grid folder.
            string checkpoint = Path.Combine(Path.GetFullPath(gridFolder), cell.Training.Checkpoint);
            if (!File.Exists(checkpoint)) throw new MaskbenchException($"{checkpoint}: the checkpoint of {model.Id} is missing (rerun the grid)");
            string tag = pipeline.Replace(' ', '-');
            var report = EvaluateCached(stageFolder, tag, maskerRun, checkpoint, maskerModel, test, settings, device, progress);
            section.Rows.Add(new PredictedMaskRow
            {
                Training = letter, Mask = rowMask, Natural = Percent(report.Natural), Robust = Percent(report.WorstCase),
                MaskIoUUnderAttack = Math.Round(report.WorstCaseMaskIoU.Mean, 4), TestCount = report.Natural.Count,
            });
            section.Attacks.AddRange(report.Attacks.Select(a => new PipelineAttackRow
            {
                Training = pipeline, Attack = AttackName(a.Attack), Robust = Percent(a.Robust), MaskIoU = Math.Round(a.MaskIoU.Mean, 4),
            }));
            if (report.Examples.Count > 0)
            {
                string image = Path.Combine(Folder, $"examples-{tag}.png");
                AtomicFile.WriteAllBytes(Path.Combine(gridFolder, image), ExampleGrid(report));
                section.ExampleImages[pipeline] = image;
            }
        }

        foreach (var (training, letter) in new[] { (GridModel.Natural, "N"), (GridModel.Adversarial, "A") })
        {
            var plain = results.Models.FirstOrDefault(m => m.Training == training && m.Mask == Masks.MaskKind.None);
            var oracle = results.Models.FirstOrDefault(m => m.Training == training && m.Mask == Masks.MaskKind.GroundTruth);
            var learned = results.Models.FirstOrDefault(m => m.Training == training && m.Mask == Masks.MaskKind.Predicted);
            if (plain is not null) section.Rows.Add(GridRow(letter, "plain", plain));
            if (oracle is not null)
            {
                section.Rows.Add(GridRow(letter, "oracle mask", oracle));
                AddPipeline(letter, letter, "predicted mask", oracle);
            }
            const string trained = PredictedMaskResults.TrainedOnPredictions;
            if (learned is not null) AddPipeline(letter, $"{letter} {trained}", $"predicted mask, {trained}", learned);
        }
        return section;
    }

    public static string AttackName(PipelineAttack attack) => attack switch
    {
        PipelineAttack.NonAdaptive => "non-adaptive PGD (clean predicted mask held fixed)",
        PipelineAttack.EndToEnd => "(a) end to end through the soft mask",
        PipelineAttack.StraightThrough => "(b) BPDA, straight-through threshold",
        PipelineAttack.MaskGrowth => "(c) grow the mask, then attack",
        PipelineAttack.FullImage => "(d) full image",
        _ => attack.ToString(),
    };

    static PredictedMaskRow GridRow(string letter, string mask, ModelResults m) => new()
    {
        Training = letter, Mask = mask, TestCount = m.TestCount,
        Natural = m.Natural is double n ? Percent(FromPercent(n, m.TestCount)) : null,
        Robust = m.Pgd is double p ? Percent(FromPercent(p, m.TestCount)) : null,
    };

    static AccuracyInterval FromPercent(double percent, int count) => AccuracyInterval.Of((int)Math.Round(percent / 100 * count), count);

    static PercentInterval Percent(AccuracyInterval w) => new(Math.Round(100 * w.Accuracy, 2), Math.Round(100 * w.Low, 2),
        Math.Round(100 * w.High, 2));

    /// <summary>Runs the pipeline evaluation unless a result with the same key (masker, checkpoint, settings, rows) is on disk.</summary>
    static PipelineReport EvaluateCached(string stageFolder, string letter, MaskerRun maskerRun, string checkpoint, MaskUNet masker, SplitArrays test,
        Settings settings, Device device, IProgressSink progress)
    {
        string key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n",
            maskerRun.WeightsSha256(),
            Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(checkpoint))),
            JsonSerializer.Serialize(settings), test.Count.ToString(CultureInfo.InvariantCulture)))))[..16];
        string path = Path.Combine(stageFolder, $"pipeline-{letter}-{key}.json");
        if (File.Exists(path))
        {
            try { return JsonSerializer.Deserialize<PipelineReport>(File.ReadAllText(path), JsonFormat.Options)!; }
            catch (JsonException e) { throw new DataFormatException(path, $"not a pipeline evaluation: {e.Message} (delete the file to rerun it)"); }
        }
        var spec = new RunFolder(Path.GetDirectoryName(checkpoint)!).ReadInfo().Model;
        using var classifier = ModelFactory.Create(spec);
        Checkpoint.Load(checkpoint, classifier, null);
        classifier.to(device);
        classifier.eval();
        progress.Info($"predicted masks: adaptive attacks on the {letter} pipeline ({test.Count} test images)");
        var report = PipelineEvaluator.Evaluate(masker, new ModuleTarget(classifier), MaskMode.Threshold, test, new PipelineAttackOptions
        {
            Epsilon = settings.Epsilon, Steps = settings.Steps, GrowthSteps = settings.Steps, Seed = settings.Seed, Region = settings.Region,
            Device = device,
        }, progress);
        Directory.CreateDirectory(stageFolder);
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(report, JsonFormat.Options));
        return report;
    }

    /// <summary>Rows of: clean image, clean predicted mask, attacked predicted mask, perturbation (magnified, grey = 0).</summary>
    public static byte[] ExampleGrid(PipelineReport report)
    {
        int s = report.ImageSize;
        var rows = report.Examples.Select(e =>
        {
            var clean = new RgbImage(s, s, e.Clean);
            var attacked = new RgbImage(s, s, e.Attacked);
            return (IReadOnlyList<RgbImage>)[clean, TileSheet.MaskTile(new BinaryMask(s, s, e.CleanMask)),
                TileSheet.MaskTile(new BinaryMask(s, s, e.AttackedMask)),
                ImageGrid.Perturbation(clean, attacked)];
        }).ToList();
        using var png = new MemoryStream();
        SkiaImageCodec.Write(TileSheet.Compose(rows), png, CompressedFormat.Png);
        return png.ToArray();
    }
}
