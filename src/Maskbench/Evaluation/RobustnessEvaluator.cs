using System.Diagnostics;
using Maskbench.Attacks;
using Maskbench.Batching;
using Maskbench.Data;
using Maskbench.Progress;
using TorchSharp;
using static TorchSharp.torch;

namespace Maskbench.Evaluation;

public sealed class EvaluationOptions
{
    /// <summary>The ε values; evaluated in increasing order whatever order is given.</summary>
    public required IReadOnlyList<double> Epsilons { get; init; }
    public Norm Norm { get; init; } = Norm.Linf;
    /// <summary>Which pixels the adversary may change; the foreground is the model's (<see cref="AttackedModel.Foreground"/>).</summary>
    public ThreatRegion Region { get; init; } = ThreatRegion.Foreground;
    /// <summary>The rows of the split to evaluate, in this order (null: every row).</summary>
    public IReadOnlyList<int>? Rows { get; init; }
    /// <summary>The first N of those rows (null: all).</summary>
    public int? Limit { get; init; }
    public int BatchSize { get; init; } = 128;
    public Device Device { get; init; } = CPU;
}

/// <summary>One batch as an evaluation saw it at one ε: the batch, the mask the model saw (null: none) and the attack's result.</summary>
public sealed record EvaluatedBatch(TensorBatch Batch, Tensor? InputMasks, double Epsilon, AttackResult Result);

/// <summary>
/// Natural and robust accuracy of a model over rows of a dataset split: the one evaluation path of the grid's cells,
/// the MNIST baseline and `maskbench attack`. An ε sweep is monotone by construction: ε values
/// run in increasing order and an example fooled at ε is not attacked again at larger ε — its fooling input remains a
/// valid witness, because the balls are nested and the mask is the same — so robust accuracy can only fall as ε grows,
/// never exceeds natural accuracy (clean mistakes count as fooled at step 0), and equals it at ε = 0.
/// </summary>
public static class RobustnessEvaluator
{
    /// <param name="adversarial">Where to save each example's final adversarial image and record (null: nowhere): the
    /// input that fooled the model at the smallest ε that did, or the attack's input at the largest ε.</param>
    /// <param name="observe">Called for each batch and ε after the attack (for example to draw a few adversarial examples).</param>
    public static RobustnessReport Evaluate(DatasetSplit split, string splitName, AttackedModel model, IAttack attack, EvaluationOptions options,
        IProgressSink progress, Precision precision = Precision.Fp32, int seed = 0, AdversarialExampleWriter? adversarial = null,
        Action<EvaluatedBatch>? observe = null)
    {
        var rows = (options.Rows ?? Enumerable.Range(0, split.Count).ToArray()).ToArray();
        if (options.Limit is int limit && limit >= 1) rows = rows[..Math.Min(limit, rows.Length)];
        return Evaluate(rows.Chunk(Math.Max(1, options.BatchSize)).Select(chunk => DatasetBatches.Gather(split, chunk, options.Device)),
            rows.Length, split.ImageSize, splitName, model, attack, options, progress, precision, seed, adversarial, observe);
    }

    /// <summary>
    /// The same over batches already in memory (<paramref name="rowCount"/> rows of <paramref name="imageSize"/>² pixels in
    /// all); the evaluator disposes each batch.
    /// </summary>
    public static RobustnessReport Evaluate(IEnumerable<TensorBatch> batches, int rowCount, int imageSize, string splitName, AttackedModel model,
        IAttack attack,
        EvaluationOptions options, IProgressSink progress, Precision precision = Precision.Fp32, int seed = 0,
        AdversarialExampleWriter? adversarial = null,
        Action<EvaluatedBatch>? observe = null)
    {
        var clock = Stopwatch.StartNew();
        using var kernels = Kernels.KernelChecks.Record();
        var epsilons = options.Epsilons.Distinct().OrderBy(e => e).ToArray();
        if (epsilons.Length == 0) throw new MaskbenchException("no ε to evaluate");
        if (!(epsilons[0] >= 0) || !(epsilons[^1] <= 1)) throw new MaskbenchException($"ε must lie in [0, 1], got {string.Join(", ", epsilons)}");
        if (options.Limit is < 1) throw new MaskbenchException($"the number of images to attack must be at least 1, got {options.Limit}");
        if (options.BatchSize < 1) throw new MaskbenchException($"the batch size must be at least 1, got {options.BatchSize}");
        if (rowCount == 0) throw new MaskbenchException($"split '{splitName}' has no images to attack");
        int n = rowCount;
        var examples = new List<ExampleOutcome>(n);
        var robust = new int[epsilons.Length];
        var gradients = new long[epsilons.Length];
        var forwards = new long[epsilons.Length];
        var seconds = new double[epsilons.Length];
        int cleanCorrect = 0;
        using var task = progress.Start($"{attack.Name} on {splitName}", n, "images");
        adversarial?.Begin(n, imageSize);
        foreach (var batch in batches)
        {
            using var zone = Runtime.NoCollectionZone.Enter();
            using var scope = NewDisposeScope();
            using var _ = batch;
            var inputMasks = model.Input.ForEvaluation(batch);
            var target = model.TargetFor(batch, inputMasks);
            // The model's foreground is said explicitly: the mask the model sees, or the dataset's for a model that sees none.
            var mask = options.Region.Mask(inputMasks ?? model.Foreground.ForEvaluation(batch)!, batch.Masks);
            // One clean pass per batch, shared by every ε's attack.
            Tensor cleanLogits;
            using (target.Prepare(Precision.Fp32))
            using (no_grad())
                cleanLogits = target.Logits(batch.Images);
            var predictions = cleanLogits.argmax(1).cpu().data<long>().ToArray();
            var labels = batch.Labels.cpu().data<long>().ToArray();
            int count = batch.Count;
            var firstFooling = new double?[count];
            var steps = Enumerable.Repeat(-1, count).ToArray();
            var fooledBy = new string?[count];
            var margins = Enumerable.Range(0, count).Select(_ => new double[epsilons.Length]).ToArray();
            var decided = zeros(new long[] { count }, ScalarType.Bool);
            var keptEpsilon = new int[count];
            Tensor? kept = adversarial is null ? null : batch.Images.detach().clone();
            for (int e = 0; e < epsilons.Length; e++)
            {
                var threat = new ThreatModel(options.Norm, epsilons[e], mask);
                using var result = attack.Run(target, batch.Images, batch.Labels, threat, decided.to(batch.Images.device), cleanLogits);
                observe?.Invoke(new EvaluatedBatch(batch, inputMasks, epsilons[e], result));
                gradients[e] += result.GradientEvaluations;
                forwards[e] += result.ForwardEvaluations;
                seconds[e] += result.Elapsed.TotalSeconds;
                for (int i = 0; i < count; i++)
                {
                    if (firstFooling[i] is not null)
                    {
                        margins[i][e] = margins[i][e - 1];
                        continue;
                    }
                    var record = result.Examples[i];
                    margins[i][e] = record.Margin;
                    if (record.Fooled)
                    {
                        firstFooling[i] = epsilons[e];
                        steps[i] = record.Step;
                        fooledBy[i] = record.FooledBy;
                        decided[i] = true;
                    }
                    else robust[e]++;
                }
                if (kept is not null)
                {
                    // Keep the fooling input where this ε fooled first; at the largest ε, the attack's input for the rest.
                    var take = new bool[count];
                    for (int i = 0; i < count; i++)
                        take[i] = firstFooling[i] == epsilons[e] && keptEpsilon[i] == 0 || e == epsilons.Length - 1 && firstFooling[i] is null;
                    for (int i = 0; i < count; i++) if (take[i]) keptEpsilon[i] = e + 1;
                    var rows = tensor(take, [count]).to(kept.device).view(-1, 1, 1, 1);
                    kept = where(rows, result.Adversarial.to_type(kept.dtype), kept);
                }
            }
            if (kept is not null) Save(adversarial!, target, kept, batch, labels, predictions, epsilons, keptEpsilon, firstFooling, steps, fooledBy,
                margins);
            for (int i = 0; i < count; i++)
            {
                if (predictions[i] == labels[i]) cleanCorrect++;
                examples.Add(new ExampleOutcome(batch.Indices[i], labels[i], predictions[i], firstFooling[i], steps[i], fooledBy[i], margins[i]));
            }
            task.Advance(count);
        }
        var report = new RobustnessReport
        {
            Model = model.Description,
            Split = splitName,
            Attack = attack.Name,
            Norm = options.Norm == Norm.Linf ? "linf" : "l2",
            Threat = options.Region.Spelling(),
            Precision = precision == Precision.Bf16 ? "bf16" : "fp32",
            Seed = seed,
            Count = n,
            NaturalAccuracy = n == 0 ? double.NaN : (double)cleanCorrect / n,
            Sweep = epsilons.Select((eps, e) => new EpsilonOutcome(eps, n == 0 ? double.NaN : (double)robust[e] / n, robust[e], gradients[e],
                forwards[e], seconds[e])).ToArray(),
            Examples = examples,
            Seconds = clock.Elapsed.TotalSeconds,
            Kernels = kernels.Provenance(),
        };
        adversarial?.Complete(report.Model, report.Attack, report.Threat, report.Norm);
        return report;
    }

    /// <summary>Stores a batch's kept inputs and records; the prediction is the model's at the pixels as stored.</summary>
    static void Save(AdversarialExampleWriter writer, IAttackTarget target, Tensor kept, TensorBatch batch, long[] labels, long[] cleanPredictions,
        double[] epsilons, int[] keptEpsilon, double?[] firstFooling, int[] steps, string?[] fooledBy, double[][] margins)
    {
        int count = batch.Count;
        var stored = writer.Stored(kept);
        long[] predictions;
        using (target.Prepare(Precision.Fp32))
        using (no_grad())
            predictions = target.Logits(AdversarialExampleWriter.AsModelInput(stored, kept.device)).argmax(1).cpu().data<long>().ToArray();
        var records = new AdversarialRecord[count];
        for (int i = 0; i < count; i++)
        {
            int e = keptEpsilon[i] - 1;
            records[i] = new AdversarialRecord(batch.Indices[i], labels[i], predictions[i], cleanPredictions[i], firstFooling[i] is not null,
                steps[i], margins[i][e], epsilons[e], fooledBy[i]);
        }
        writer.Add(stored, records);
    }
}
