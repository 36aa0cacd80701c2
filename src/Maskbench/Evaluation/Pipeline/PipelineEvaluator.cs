using Maskbench.Attacks;
using Maskbench.Data;
using Maskbench.Masks.Learned;
using Maskbench.Progress;
using Maskbench.Runtime;
using Maskbench.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Maskbench.Evaluation.Pipeline;

/// <summary>
/// Adaptive evaluation of a predicted-mask pipeline (Tramèr et al. 2020, "On Adaptive Attacks to Adversarial Example
/// Defenses"): the non-adaptive PGD and the adaptive attacks of <see cref="PipelineAttack"/>, each the attack library's
/// <see cref="PgdAttack"/> on a <see cref="PredictedMaskTarget"/> (or <see cref="MaskGrowthTarget"/>) under a
/// <see cref="ThreatModel"/> whose mask is the attack's region. Every attack's adversarial input is judged by the exact
/// pipeline, which recomputes the mask from that input; an example counts as robust only if no attack fooled it.
/// </summary>
public static class PipelineEvaluator
{
    /// <summary>The attacks that apply to <paramref name="mode"/> (BPDA only where there is a threshold), in order.</summary>
    public static IReadOnlyList<PipelineAttack> DefaultAttacks(MaskMode mode) =>
        Enum.GetValues<PipelineAttack>().Where(a => a != PipelineAttack.StraightThrough || mode == MaskMode.Threshold).ToArray();

    public static PipelineReport Evaluate(nn.Module<Tensor, Tensor> masker, IAttackTarget classifier, MaskMode mode, SplitArrays data,
        PipelineAttackOptions options, IProgressSink? progress = null)
    {
        options.Validate();
        progress ??= NullProgress.Instance;
        var attacks = options.Attacks ?? DefaultAttacks(mode);
        if (mode == MaskMode.Soft && attacks.Contains(PipelineAttack.StraightThrough))
            throw new MaskbenchException("the straight-through attack needs a thresholded mask (--mask-mode threshold)");
        int count = Math.Min(data.Count, options.Limit ?? int.MaxValue);
        var builder = new BatchBuilder(data, 3, options.Device);
        var fooled = attacks.ToDictionary(a => a, _ => new bool[count]);
        var maskIoU = attacks.ToDictionary(a => a, _ => new double[count]);
        var worstIoU = new double[count];
        var cleanIoU = new List<double>(count);
        int naturalCorrect = 0;
        var examples = new List<PipelineExample>();
        using var task = progress.Start($"pipeline attacks ({mode.ToString().ToLowerInvariant()} mask)", (long)count * attacks.Count,
            "example-attacks");
        for (int start = 0; start < count; start += options.BatchSize)
        {
            int n = Math.Min(options.BatchSize, count - start);
            using var zone = NoCollectionZone.Enter(builder.ManagedBytes(n));
            using var scope = NewDisposeScope();
            using var batch = builder.Build(Enumerable.Range(start, n).ToArray());
            var x = batch.Images;
            var exact = new PredictedMaskTarget(masker, classifier, mode, GradientPath.ThroughSoftMask);
            Tensor cleanLogits, cleanHard;
            using (exact.Prepare(Precision.Fp32))
            using (no_grad())
            {
                cleanLogits = exact.Logits(x);
                cleanHard = HardMask(masker, x);
            }
            naturalCorrect += (int)cleanLogits.argmax(1).eq(batch.Labels).sum().item<long>();
            cleanIoU.AddRange(MaskIoU.PerImage(cleanHard, batch.Masks));
            // The pipeline's own foreground is the defender's mask of the clean image.
            var baseRegion = options.Region.Mask(cleanHard, batch.Masks);
            var decidedBy = new PipelineAttack?[n];
            Tensor? decidingInputs = null;
            // The non-adaptive attack's outcome: each adaptive attack includes it (Tramèr et al. 2020: an adaptive attack
            // should subsume the non-adaptive one), searching only the examples it left robust.
            Tensor? baselineFooled = null, baselineInputs = null;
            foreach (var kind in attacks)
            {
                var (target, threat) = Configure(kind, masker, classifier, mode, x, baseRegion, cleanHard, options, start);
                var attack = new PgdAttack { Steps = options.Steps, Restarts = options.Restarts, Seed = options.Seed + start };
                bool extendsBaseline = kind != PipelineAttack.NonAdaptive && baselineFooled is not null;
                using var result = attack.Run(target, x, batch.Labels, threat, exclude: extendsBaseline ? baselineFooled : null,
                    cleanLogits: cleanLogits);
                var adversarial = extendsBaseline ? where(baselineFooled!.reshape(-1, 1, 1, 1), baselineInputs!, result.Adversarial)
                    : result.Adversarial;
                bool[] fooledNow = extendsBaseline
                    ? result.Examples.Select((e, i) => e.Fooled || fooled[PipelineAttack.NonAdaptive][start + i]).ToArray()
                    : result.Examples.Select(e => e.Fooled).ToArray();
                if (kind == PipelineAttack.NonAdaptive)
                {
                    baselineFooled = tensor(fooledNow, device: x.device);
                    baselineInputs = result.Adversarial.clone();
                }
                Tensor attackedHard;
                using (no_grad()) attackedHard = HardMask(masker, adversarial);
                var iou = MaskIoU.PerImage(attackedHard, cleanHard);
                iou.CopyTo(maskIoU[kind], start);
                decidingInputs ??= adversarial.clone();
                for (int i = 0; i < n; i++)
                {
                    fooled[kind][start + i] = fooledNow[i];
                    if (decidedBy[i] is null)
                    {
                        worstIoU[start + i] = iou[i];
                        // Until an attack fools the example, its deciding input is the latest attack's.
                        using (no_grad()) decidingInputs[i] = adversarial[i];
                        if (fooledNow[i]) decidedBy[i] = kind;
                    }
                }
                task.Advance(n);
            }
            if (examples.Count < options.ExamplesToKeep && decidingInputs is not null)
                KeepExamples(examples, options.ExamplesToKeep, masker, x, cleanHard, decidingInputs, batch.Labels,
                    cleanLogits.argmax(1).eq(batch.Labels).cpu().data<bool>().ToArray(), decidedBy, start);
        }
        var worst = Enumerable.Range(0, count).Count(i => !attacks.Any(a => fooled[a][i]));
        return new PipelineReport
        {
            MaskMode = mode.ToString().ToLowerInvariant(),
            Region = options.Region,
            Epsilon = options.Epsilon,
            Steps = options.Steps,
            Natural = AccuracyInterval.Of(naturalCorrect, count),
            Attacks = attacks.Select(a => new PipelineAttackResult(a, AccuracyInterval.Of(fooled[a].Count(f => !f), count),
                MeanWithInterval.Of(maskIoU[a]))).ToArray(),
            WorstCase = AccuracyInterval.Of(worst, count),
            CleanMaskIoU = MeanWithInterval.Of(cleanIoU),
            WorstCaseMaskIoU = MeanWithInterval.Of(worstIoU),
            Examples = examples,
            ImageSize = data.ImageSize,
        };
    }

    /// <summary>The target and threat model of one attack on a batch (stage 1 of the mask growth runs here).</summary>
    static (IAttackTarget Target, ThreatModel Threat) Configure(PipelineAttack kind, nn.Module<Tensor, Tensor> masker, IAttackTarget classifier,
        MaskMode mode, Tensor x, Tensor? baseRegion, Tensor cleanHard, PipelineAttackOptions options, int start)
    {
        // Beyond the base region, a thresholded pipeline is attacked with BPDA; a soft one is differentiable as it is.
        var adaptivePath = mode == MaskMode.Soft ? GradientPath.ThroughSoftMask : GradientPath.StraightThrough;
        switch (kind)
        {
            case PipelineAttack.NonAdaptive:
                return (new PredictedMaskTarget(masker, classifier, mode, GradientPath.FixedCleanMask, x),
                    ThreatModel.Linf(options.Epsilon, baseRegion));
            case PipelineAttack.EndToEnd:
                return (new PredictedMaskTarget(masker, classifier, mode, GradientPath.ThroughSoftMask),
                    ThreatModel.Linf(options.Epsilon, baseRegion));
            case PipelineAttack.StraightThrough:
                return (new PredictedMaskTarget(masker, classifier, mode, GradientPath.StraightThrough),
                    ThreatModel.Linf(options.Epsilon, baseRegion));
            case PipelineAttack.MaskGrowth:
            {
                var region = baseRegion ?? ones_like(cleanHard);
                var grown = GrowMask(masker, x, region, options, start);
                var union = region.maximum(cleanHard).maximum(grown);
                return (new PredictedMaskTarget(masker, classifier, mode, adaptivePath), ThreatModel.Linf(options.Epsilon, union));
            }
            case PipelineAttack.FullImage:
                return (new PredictedMaskTarget(masker, classifier, mode, adaptivePath), ThreatModel.Linf(options.Epsilon));
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    /// <summary>
    /// Stage 1 of <see cref="PipelineAttack.MaskGrowth"/>: PGD (no early stop) within <paramref name="region"/> that
    /// maximizes the predicted foreground outside it; returns the thresholded mask predicted at the grown input.
    /// </summary>
    public static Tensor GrowMask(nn.Module<Tensor, Tensor> masker, Tensor x, Tensor region, PipelineAttackOptions options, int seedOffset = 0)
    {
        using var scope = NewDisposeScope();
        var target = new MaskGrowthTarget(masker, region);
        var attack = new PgdAttack { Steps = options.GrowthSteps, Seed = options.Seed + seedOffset + 1, EarlyStop = false };
        using var labels = zeros(x.shape[0], ScalarType.Int64, device: x.device);
        using var result = attack.Run(target, x, labels, ThreatModel.Linf(options.Epsilon, region));
        using (no_grad()) return HardMask(masker, result.Adversarial).MoveToOuterDisposeScope();
    }

    /// <summary>The defender's hard mask 1[σ(logit) ≥ 0.5] (float32, N x 1 x H x W), the masker in eval mode.</summary>
    public static Tensor HardMask(nn.Module<Tensor, Tensor> masker, Tensor x)
    {
        using var scope = NewDisposeScope();
        bool training = masker.training;
        masker.eval();
        using var noGrad = no_grad();
        var hard = masker.call(x).sigmoid().ge(MaskIoU.Threshold).to_type(ScalarType.Float32);
        if (training) masker.train();
        return hard.MoveToOuterDisposeScope();
    }

    static void KeepExamples(List<PipelineExample> examples, int keep, nn.Module<Tensor, Tensor> masker, Tensor x, Tensor cleanHard, Tensor attacked,
        Tensor labels, bool[] cleanCorrect, PipelineAttack?[] decidedBy, int start)
    {
        using var scope = NewDisposeScope();
        var attackedHard = HardMask(masker, attacked);
        static byte[] Image(Tensor t) => (t.clamp(0, 1) * 255).round().to_type(ScalarType.Byte).permute(1, 2, 0).contiguous().cpu().data<byte>()
            .ToArray();
        static byte[] Mask(Tensor t) => t.to_type(ScalarType.Byte).flatten().cpu().data<byte>().ToArray();
        // Examples an attack fooled first (they show what the attacker did to the mask), then robust ones; clean mistakes last.
        var order = Enumerable.Range(0, decidedBy.Length).OrderBy(i => !cleanCorrect[i] ? 2 : decidedBy[i] is null ? 1 : 0).ThenBy(i => i);
        foreach (int i in order)
        {
            if (examples.Count >= keep) break;
            examples.Add(new PipelineExample(start + i, labels[i].item<long>(), decidedBy[i], Image(x[i]), Mask(cleanHard[i]), Mask(attackedHard[i]),
                Image(attacked[i])));
        }
    }
}
