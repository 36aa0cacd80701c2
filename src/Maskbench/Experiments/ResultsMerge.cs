using Maskbench.Files;
namespace Maskbench.Experiments;

/// <summary>
/// Combines the cells of several output folders of the same plan (for example one per Slurm array task) into one
/// folder: plan.json from the first, every cells/*.json and cells/*.png copied in (a key is the hash of the work,
/// so equal keys are the same cell and the first copy is kept). Training checkpoints are not copied: the merged
/// folder holds the results, which is all the report needs.
/// </summary>
public static class ResultsMerge
{
    public sealed record Summary(int Copied, int AlreadyPresent, ExperimentPlan Plan);

    public static Summary Merge(IReadOnlyList<string> sources, string outFolder)
    {
        if (sources.Count == 0) throw new MaskbenchException("merge: give at least one output folder to merge");
        ExperimentPlan? plan = null;
        var store = new CellStore(outFolder);
        Directory.CreateDirectory(store.CellsFolder);
        int copied = 0, present = 0;
        foreach (string source in sources)
        {
            var sourcePlan = ExperimentPlan.Load(Path.Combine(source, "plan.json"));
            if (plan is null) plan = sourcePlan;
            else if (sourcePlan.DatasetSha256 != plan.DatasetSha256 || sourcePlan.Profile != plan.Profile)
                throw new MaskbenchException($"{source}: its plan differs from {sources[0]}'s (dataset {sourcePlan.DatasetSha256[..12]} profile "
                    + $"{sourcePlan.Profile.Name} "
                    + $"against {plan.DatasetSha256[..12]} {plan.Profile.Name}); merge only folders of the same `reproduce` command");
            string cells = Path.Combine(source, "cells");
            if (!Directory.Exists(cells)) continue;
            foreach (string file in Directory.EnumerateFiles(cells).Where(f => f.EndsWith(".json") || f.EndsWith(".png"))
                .Order(StringComparer.Ordinal))
            {
                if (file.EndsWith(".json")) CellStore.Read(file);   // refuse a corrupt cell before copying it
                string target = Path.Combine(store.CellsFolder, Path.GetFileName(file));
                if (Path.GetFullPath(file) == Path.GetFullPath(target) || File.Exists(target)) { present++; continue; }
                AtomicFile.Write(target, temp => File.Copy(file, temp));
                copied++;
            }
        }
        plan!.Save(Path.Combine(store.OutFolder, "plan.json"));
        return new Summary(copied, present, plan);
    }
}
