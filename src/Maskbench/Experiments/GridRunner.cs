using System.Diagnostics;
using Maskbench.Progress;
using Maskbench.Reports;

namespace Maskbench.Experiments;

/// <summary>
/// Runs the selected cells of a plan, skipping those whose result is already cached. An evaluation needs its model:
/// if the training cell has not run in this output folder yet, it runs first (selected or not). Keys of evaluations
/// include the checkpoint's SHA-256, so a retrained model is never judged by a stale evaluation.
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

    public void Run(CellSelection selection)
    {
        Directory.CreateDirectory(_store.OutFolder);
        _plan.Save(Path.Combine(_store.OutFolder, "plan.json"));
        var chosen = selection.Apply(_plan.Cells);
        using var task = _progress.Start($"grid: {chosen.Count} cells", chosen.Count, "cells");
        foreach (var (index, cell) in chosen)
        {
            task.Describe($"cell {index} {cell.Id}");
            try
            {
                if (cell.Kind == CellSpec.Train) EnsureTrained(cell);
                else EnsureEvaluated(cell);
            }
            catch (CellUnavailableException e)
            {
                Unavailable.Add(cell.Id);
                _progress.Info($"skipped {cell.Id}: {e.Message}");
            }
            task.Advance();
        }
        _progress.Info($"grid: {Executed} cells computed, {Reused} reused from {_store.CellsFolder}");
    }

    SortedDictionary<string, string> TrainingInputs() => new(StringComparer.Ordinal) { ["dataset.sha256"] = _plan.DatasetSha256 };

    /// <summary>The key of a training cell (known before it runs).</summary>
    public string TrainingKey(CellSpec cell) => CellKey.Compute(cell.Parameters(), TrainingInputs());

    public CellResult EnsureTrained(CellSpec cell) => EnsureTrained(cell, countReuse: true);

    CellResult EnsureTrained(CellSpec cell, bool countReuse)
    {
        var parameters = cell.Parameters();
        var inputs = TrainingInputs();
        string key = CellKey.Compute(parameters, inputs);
        if (_store.TryLoad(key, out var cached)) { if (countReuse) Reused++; return cached; }

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
            Key = key, Id = cell.Id, Kind = cell.Kind, Parameters = parameters, Inputs = inputs, Seconds = clock.Elapsed.TotalSeconds, Kernels = kernels,
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

        var clock = Stopwatch.StartNew();
        var trained = new TrainedModel(Path.Combine(_store.OutFolder, model.Training!.Checkpoint), model.Training.Curve);
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
            Key = key, Id = cell.Id, Kind = cell.Kind, Parameters = parameters, Inputs = inputs, Seconds = clock.Elapsed.TotalSeconds, Kernels = kernels,
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
