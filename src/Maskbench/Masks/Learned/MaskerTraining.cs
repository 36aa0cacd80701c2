using System.Security.Cryptography;
using Maskbench.Attacks;
using Maskbench.Data;
using Maskbench.Progress;
using Maskbench.Training;
using static TorchSharp.torch;

namespace Maskbench.Masks.Learned;

/// <summary>
/// <c>maskbench train-masker</c>: trains a masker on a dataset folder's train split, measures its test IoU (clean, and
/// under segmentation PGD when an attack ε is given) and writes the masker folder (<see cref="MaskerRun"/>).
/// </summary>
public static class MaskerTraining
{
    public static MaskerInfo Run(string datasetFolder, string outFolder, MaskerTrainingOptions options, int baseWidth, int depth,
        double? attackEpsilon, int attackSteps, Device device, IProgressSink progress, CancellationToken cancellation = default)
    {
        var run = new MaskerRun(outFolder);
        if (run.Exists || File.Exists(run.WeightsPath)) throw new MaskbenchException($"{outFolder} already holds a masker; choose another --out");
        using var dataset = DatasetStore.Open(datasetFolder);
        string testSplit = dataset.HasSplit("test") ? "test" : dataset.HasSplit("val") ? "val"
            : throw new MaskbenchException($"{datasetFolder}: no test or val split to measure the masker's IoU on (it has "
            + $"{string.Join(", ", dataset.SplitNames)})");
        if (!dataset.HasSplit("train")) throw new MaskbenchException(
            $"{datasetFolder}: no train split (it has {string.Join(", ", dataset.SplitNames)})");
        var spec = new MaskerSpec { InputSize = dataset.Manifest.ImageSize, BaseWidth = baseWidth, Depth = depth };
        spec.Validate();
        options = options with { HorizontalFlip = dataset.Manifest.HorizontalFlipPreservesLabels };
        string manifestPath = Path.Combine(datasetFolder, DatasetStore.ManifestFile);
        var identity = new DatasetIdentity(Path.GetFullPath(datasetFolder),
            Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(manifestPath))), dataset.Manifest.Name);
        var (masker, epochs) = new MaskerTrainer(options, progress).Train(dataset.Split("train").Load(), spec, device, cancellation);
        using (masker)
        {
            var test = dataset.Split(testSplit).Load();
            var iou = MaskerEvaluation.IoU(masker, test, device, progress: progress);
            var report = IoUReport.Of(iou, test.Labels);
            MeanWithInterval? underAttack = null;
            if (attackEpsilon is double eps && eps > 0)
                underAttack = MeanWithInterval.Of(MaskerEvaluation.IoU(masker, test, device,
                    attack: (ThreatModel.Linf(eps), attackSteps, options.Seed), progress: progress));
            var info = new MaskerInfo
            {
                Spec = spec, Options = options, Dataset = identity, Parameters = masker.ParameterCount, Epochs = epochs,
                Test = new MaskerQuality(testSplit, report.Mean, report.PerClass.ToDictionary(), attackEpsilon, underAttack),
            };
            run.Write(masker, info);
            return info;
        }
    }
}
