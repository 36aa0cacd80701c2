using Maskbench.Data;
using Maskbench.Progress;
using Maskbench.Reports;
using static TorchSharp.torch;

namespace Maskbench.Experiments;

/// <summary>
/// <c>maskbench reproduce</c>: the plan for a dataset folder, the selected cells (cached ones skipped), results.json
/// and the report. The dataset is identified by the SHA-256 of its manifest, which lists the SHA-256 of every array,
/// so rebuilding the dataset with other contents invalidates every cell.
/// </summary>
public static class Reproduction
{
    public sealed record Outcome(string ReportPath, int Executed, int Reused, IReadOnlyList<string> Unavailable, ExperimentResults Results);

    /// <param name="masker">A trained masker folder whose predictions the grid's predicted-mask models see (null: none).</param>
    public static ExperimentPlan PlanFor(string datasetFolder, ExperimentProfile profile, string? arch = null, string? masker = null)
    {
        string chosenArch = arch ?? profile.Arch;
        if (!Models.ModelFactory.Architectures.Contains(chosenArch.ToLowerInvariant()))
            throw new MaskbenchException($"--arch {chosenArch}: unknown architecture; known: {string.Join(", ", Models.ModelFactory.Architectures)}");
        string manifestPath = Path.Combine(datasetFolder, DatasetStore.ManifestFile);
        if (!File.Exists(manifestPath))
            throw new MaskbenchException($"{datasetFolder}: no {DatasetStore.ManifestFile} (build a dataset first, for example `maskbench build "
                + "gtsrb`)");
        using var dataset = DatasetStore.Open(datasetFolder);
        var manifest = dataset.Manifest;
        var summary = new DatasetSummary
        {
            Name = manifest.Name, Sha256 = CellKey.FileSha256(manifestPath),
            // The folder name is the user's choice; the builder and source say which of the paper's datasets this is.
            PaperName = PaperTable4.PaperNameOf($"{manifest.Name} {manifest.BuildParameters["builder"]} {manifest.Source}"),
            ClassNames = manifest.ClassNames.ToList(), ImageSize = manifest.ImageSize,
            CountsPerSplit = manifest.Splits.OrderBy(s => s.Key == "train" ? 0 : s.Key == "test" ? 1 : 2).ThenBy(s => s.Key, StringComparer.Ordinal)
                .ToDictionary(s => s.Key, s => s.Value.CountsPerClass.ToList()),
        };
        if (masker is not null) CheckMasker(masker, manifest.ImageSize);
        return ExperimentPlan.Create(profile, Path.GetFullPath(datasetFolder), manifest.Name, summary.Sha256, arch, summary,
            masker is null ? null : Path.GetFullPath(masker));
    }

    static void CheckMasker(string masker, int imageSize)
    {
        var run = new Masks.Learned.MaskerRun(masker);
        if (!run.Exists) throw new MaskbenchException($"{masker}: no masker here (train one with `maskbench train-masker`)");
        var spec = run.ReadInfo().Spec;
        if (spec.InputSize != imageSize)
            throw new MaskbenchException($"{masker}: the masker takes {spec.InputSize}x{spec.InputSize} images, the dataset has "
                + $"{imageSize}x{imageSize}");
    }

    /// <summary>
    /// Runs the selected cells into <paramref name="outFolder"/> and writes results.json and the report. Everything that
    /// can be refused is refused before any work: an unknown architecture, an unwritable folder, a folder holding
    /// another grid's plan (unless <paramref name="replaceOtherPlan"/>), a dataset whose arrays fail their hashes.
    /// </summary>
    public static Outcome Run(string datasetFolder, string outFolder, ExperimentProfile profile, string? arch, CellSelection selection,
        Device device, IProgressSink progress, bool replaceOtherPlan = false, string? masker = null)
    {
        var plan = PlanFor(datasetFolder, profile, arch, masker);
        var p = plan.Profile;
        if (!replaceOtherPlan) GridRunner.CheckSamePlan(Path.Combine(outFolder, "plan.json"), plan);
        using var backend = new TorchExperimentBackend(datasetFolder, plan.DatasetSha256, device, p.ValidationCount, p.ValidationSteps);
        Files.OutputLocation.EnsureWritableFolder(outFolder);
        var runner = new GridRunner(plan, new CellStore(outFolder), backend, progress) { ReplaceOtherPlan = replaceOtherPlan };
        runner.Run(selection);
        var results = ResultsBuilder.Build(plan, new CellStore(outFolder));
        // With a masker, the pipelines behind it (oracle-mask and predicted-mask classifiers) meet the adaptive attacks too.
        if (masker is not null)
            results.PredictedMasks = PredictedMaskStage.Run(datasetFolder, outFolder, results, new PredictedMaskStage.Settings
            {
                Steps = p.PgdSteps, Epsilon = ExperimentProfile.PaperEpsilon, TestLimit = p.TestLimit, Seed = p.Seed,
            }, device, progress, masker);
        string report = ReportWriter.Write(results, outFolder, Path.GetFullPath(outFolder));
        return new Outcome(report, runner.Executed, runner.Reused, runner.Unavailable, results);
    }
}
