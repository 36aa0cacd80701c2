using System.Diagnostics;
using Maskbench.Progress;
using Maskbench.Reports;
using Maskbench.Files;

namespace Maskbench.Experiments;

/// <summary>
/// Runs the selected cells of a plan, skipping those whose result is already cached. An evaluation needs its model:
/// if the training cell has not run in this output folder yet, it runs first (selected or not). Keys of evaluations
/// include the checkpoint's SHA-256, so a retrained model is never judged by a stale evaluation, and an evaluation
/// loads the checkpoint only if its bytes still hash to what the training cell recorded. Each cell is computed under
/// its <see cref="CellLock"/>: another process on the same output folder skips a locked cell, works on the others,
/// then waits for the skipped ones and finds them in the cache.
/// </summary>
public sealed class GridRunner
{
    readonly ExperimentPlan _plan;
    readonly CellStore _store;
    readonly IExperimentBackend _backend;
    readonly IProgressSink _progress;

    public GridRunner(ExperimentPlan plan, CellStore store, IExperimentBackend backend, IProgressSink progress)
    {
        _plan = plan;
        _store = store;
        _backend = backend;
        _progress = progress;
    }

    /// <summary>Cells computed by the backend in this run.</summary>
    public int Executed { get; private set; }
    /// <summary>Cells found in the cache.</summary>
    public int Reused { get; private set; }
    /// <summary>Cells this build cannot compute (reported as missing).</summary>
    public List<string> Unavailable { get; } = [];

    /// <summary>Whether to wait for a cell another process is computing (false: skip it for now).</summary>
    bool _wait = true;

    /// <summary>Whether a plan.json of another plan (other dataset or settings) in the output folder may be replaced.</summary>
    public bool ReplaceOtherPlan { get; init; }

    public void Run(CellSelection selection)
    {
        Directory.CreateDirectory(_store.OutFolder);
        string planPath = Path.Combine(_store.OutFolder, "plan.json");
        if (!ReplaceOtherPlan) CheckSamePlan(planPath, _plan);
        _plan.Save(planPath);
        var chosen = selection.Apply(_plan.Cells);
        using var task = _progress.Start($"grid: {chosen.Count} cells", chosen.Count, "cells");
        var busy = new List<(int Index, CellSpec Cell)>();
        // First pass: cells another process holds are left for later; second pass: wait for them (then they are cached).
        foreach (bool wait in new[] { false, true })
        {
            _wait = wait;
            var pass = wait ? busy.ToList() : chosen.ToList();
            foreach (var (index, cell) in pass)
            {
                task.Describe($"cell {index} {cell.Id}");
                try
                {
                    if (cell.Kind == CellSpec.Train) EnsureTrained(cell);
                    else EnsureEvaluated(cell);
                }
                catch (CellBusyException)
                {
                    busy.Add((index, cell));
                    continue;
                }
                catch (CellUnavailableException e)
                {
                    Unavailable.Add(cell.Id);
                    _progress.Info($"skipped {cell.Id}: {e.Message}");
                }
                task.Advance();
            }
        }
        _progress.Info($"grid: {Executed} cells computed, {Reused} reused from {_store.CellsFolder}");
    }

    sealed class CellBusyException : Exception;

    /// <summary>
    /// Refuses an output folder whose plan.json describes another grid (another dataset, profile or override): running
    /// would replace that plan, and with it results.json and the report, which describe the cells of the old plan.
    /// </summary>
    public static void CheckSamePlan(string planPath, ExperimentPlan plan)
    {
        if (!File.Exists(planPath)) return;
        ExperimentPlan existing;
        try { existing = ExperimentPlan.Load(planPath); }
        catch (MaskbenchException e) { throw new MaskbenchException($"{e.Message}; pass --force to replace it, or choose another --out", e); }
        if (Fingerprint(existing) == Fingerprint(plan)) return;
        string Describe(ExperimentPlan p) => $"dataset {p.DatasetName} ({p.DatasetSha256[..Math.Min(12, p.DatasetSha256.Length)]}), "
            + $"profile {p.Profile.Name}, {p.Profile.Arch} x{p.Profile.Width}, {p.Profile.Epochs} epochs, {p.Cells.Count} cells";
        string? firstDifference = plan.Cells.Select(c => c.Id).Zip(existing.Cells.Select(c => c.Id)).Select((ids, i) => (ids, i))
            .Where(x => x.ids.First != x.ids.Second || Fingerprint(plan.Cells[x.i]) != Fingerprint(existing.Cells[x.i])).Select(x => x.ids.First)
            .FirstOrDefault();
        throw new MaskbenchException($"{planPath}: this folder holds another grid ({Describe(existing)}; this run: {Describe(plan)}" +
            (firstDifference is null ? "" : $"; first differing cell: {firstDifference}") + "); " +
            "its plan, results.json and report would be replaced. Choose another --out, or pass --force to replace them (cached cells are kept)");
    }

    static string Fingerprint(ExperimentPlan plan) => plan.DatasetSha256 + "\n" + string.Join("\n", plan.Cells.Select(Fingerprint));

    static string Fingerprint(CellSpec cell) => cell.Id + " " + string.Join(";", cell.Parameters().Select(kv => $"{kv.Key}={kv.Value}"));

    /// <summary>The cell's lock: waits for it, or (in the first pass) throws <see cref="CellBusyException"/> when another process holds it.</summary>
    CellLock Lock(string key, string id)
    {
        string path = _store.LockPathOf(key);
        if (_wait) return CellLock.Acquire(path, () => _progress.Info($"waiting for {id}, which another process is computing in {_store.OutFolder}"));
        return CellLock.TryAcquire(path) ?? throw new CellBusyException();
    }

    SortedDictionary<string, string> TrainingInputs() => TrainingInputs(_plan.DatasetSha256);

    static SortedDictionary<string, string> TrainingInputs(string datasetSha256) =>
        new(StringComparer.Ordinal) { ["dataset.sha256"] = datasetSha256 };

    /// <summary>The key of a training cell (known before it runs).</summary>
    public static string TrainingKey(CellSpec cell, string datasetSha256) => CellKey.Compute(cell.Parameters(), TrainingInputs(datasetSha256));

    public CellResult EnsureTrained(CellSpec cell) => EnsureTrained(cell, countReuse: true);

    CellResult EnsureTrained(CellSpec cell, bool countReuse)
    {
        var parameters = cell.Parameters();
        var inputs = TrainingInputs();
        string key = CellKey.Compute(parameters, inputs);
        if (_store.TryLoad(key, out var cached)) { if (countReuse) Reused++; return cached; }
        using var held = Lock(key, cell.Id);
        if (_store.TryLoad(key, out cached)) { if (countReuse) Reused++; return cached; }   // computed while we waited

        string runFolder = Path.Combine(_store.OutFolder, "runs", $"{cell.Model.Id}-{key}");
        var clock = Stopwatch.StartNew();
        _progress.Info($"training {cell.Model.Id} ({cell.Model.Arch} x{cell.Model.Width}, {cell.Model.Epochs} epochs)");
        TrainedModel trained;
        Kernels.KernelProvenance kernels;
        using (var record = Kernels.KernelChecks.Record())
        {
            trained = _backend.Train(cell.Model, runFolder, _progress);
            kernels = record.Provenance();
        }
        var result = new CellResult
        {
            Key = key, Id = cell.Id, Kind = cell.Kind, Parameters = parameters, Inputs = inputs, Seconds = clock.Elapsed.TotalSeconds,
            Kernels = kernels,
            Training = new TrainingRecord
            {
                Checkpoint = Path.GetRelativePath(_store.OutFolder, trained.CheckpointPath),
                CheckpointSha256 = CellKey.FileSha256(trained.CheckpointPath),
                Curve = trained.Curve.ToList(),
            },
        };
        _store.Save(result);
        Executed++;
        return result;
    }

    static SortedDictionary<string, string> EvaluationInputs(string datasetSha256, CellResult model) => new(StringComparer.Ordinal)
    {
        ["dataset.sha256"] = datasetSha256,
        ["model.cellKey"] = model.Key,
        ["model.checkpointSha256"] = model.Training?.CheckpointSha256 ?? throw new InvalidOperationException($"{model.Id} is not a training cell"),
    };

    /// <summary>The key of an evaluation cell, once its model's training cell has a result.</summary>
    public static string EvaluationKey(CellSpec cell, string datasetSha256, CellResult model) =>
        CellKey.Compute(cell.Parameters(), EvaluationInputs(datasetSha256, model));

    public CellResult EnsureEvaluated(CellSpec cell)
    {
        var model = EnsureTrained(_plan.TrainingCellOf(cell), countReuse: false);
        var parameters = cell.Parameters();
        var inputs = EvaluationInputs(_plan.DatasetSha256, model);
        string key = CellKey.Compute(parameters, inputs);
        if (_store.TryLoad(key, out var cached)) { Reused++; return cached; }
        using var held = Lock(key, cell.Id);
        if (_store.TryLoad(key, out cached)) { Reused++; return cached; }

        var clock = Stopwatch.StartNew();
        string checkpoint = Path.Combine(_store.OutFolder, model.Training!.Checkpoint);
        // The evaluation's key holds the checkpoint hash the training cell recorded; evaluate only those bytes.
        string actual = File.Exists(checkpoint) ? CellKey.FileSha256(checkpoint)
            : throw new MaskbenchException($"{checkpoint}: checkpoint of {model.Id} not found (delete {_store.PathOf(model.Key)} to retrain it)");
        if (!string.Equals(actual, model.Training.CheckpointSha256, StringComparison.OrdinalIgnoreCase))
            throw new DataFormatException(checkpoint, $"SHA-256 is {actual}, the training cell recorded {model.Training.CheckpointSha256} " +
                $"(the checkpoint changed or is corrupt; delete {_store.PathOf(model.Key)} to retrain it)");
        var trained = new TrainedModel(checkpoint, model.Training.Curve) { CheckpointSha256 = model.Training.CheckpointSha256 };
        EvaluationOutcome outcome;
        Kernels.KernelProvenance kernels;
        using (var record = Kernels.KernelChecks.Record())
        {
            outcome = _backend.Evaluate(cell.Model, trained, cell.Evaluation!, _progress);
            kernels = record.Provenance();
        }
        if (outcome.Correct.Length != outcome.Indices.Length || outcome.Labels.Length != outcome.Indices.Length
            || outcome.ForegroundFractions.Length != outcome.Indices.Length)
            throw new InvalidOperationException($"backend returned ragged per-example arrays for {cell.Id}");
        string? examples = null;
        if (outcome.Examples is { Clean.Count: > 0 } ex)
        {
            // The adversarial images are kept as .npy (NumPy loads them); the grid is drawn from that file.
            string arrays = Path.Combine(_store.OutFolder, "cells", key + ".adversarial.npy");
            Evaluation.AdversarialExampleWriter.WriteImages(arrays, ex.Adversarial);
            examples = Path.Combine("cells", key + ".png");
            AtomicFile.WriteAllBytes(Path.Combine(_store.OutFolder, examples),
                ImageGrid.Png(ex.Clean, ex.Masks, Evaluation.AdversarialExampleWriter.ReadImages(arrays)));
        }
        var result = new CellResult
        {
            Key = key, Id = cell.Id, Kind = cell.Kind, Parameters = parameters, Inputs = inputs, Seconds = clock.Elapsed.TotalSeconds,
            Kernels = kernels,
            Evaluation = new EvaluationRecord
            {
                Indices = outcome.Indices, Labels = outcome.Labels, ForegroundFractions = outcome.ForegroundFractions,
                Correct = new string(outcome.Correct.Select(c => c ? '1' : '0').ToArray()), ExamplesImage = examples,
            },
        };
        _store.Save(result);
        Executed++;
        _progress.Info($"{cell.Id}: {100 * result.Evaluation.Accuracy:F2}% of {result.Evaluation.Count}");
        return result;
    }
}
