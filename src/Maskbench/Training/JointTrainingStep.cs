using Maskbench.Attacks;
using Maskbench.Batching;
using Maskbench.Masks.Learned;
using Maskbench.Models;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Maskbench.Training;

/// <summary>A joint epoch's validation: the thresholded pipeline's natural and PGD accuracy, and the clean masks' IoU (mean and per class).</summary>
public sealed record JointValidation(double Natural, double Robust, MeanWithInterval MaskIoU, Dictionary<int, MeanWithInterval> MaskIoUPerClass);

/// <summary>
/// One update of joint training (<see cref="TrainingOptions.Joint"/>): the pipeline x → x ⊙ mask(z) → classifier, with
/// z = masker(x) the mask logits, trained end to end on CE(classifier(x ⊙ mask(z)), y) + w · SegmentationLoss(z, m*),
/// m* the dataset's mask; mask(z) is σ(z), or 1[σ(z) ≥ 0.5] with a straight-through gradient
/// (<see cref="JointTrainingOptions.Mask"/>). One backward pass updates both networks: the classifier by its SGD at the schedule's rate,
/// the masker by Adam at <see cref="JointTrainingOptions.MaskerLearningRate"/> scaled by the same schedule.
/// <para>
/// In PGD mode each batch is first replaced by Madry et al.'s training adversary against the whole pipeline: random
/// start, signed-gradient steps of the pipeline's cross-entropy end to end through the mask (the gradient reaches the
/// input both directly and through the masker; through a thresholded mask as the evaluation's BPDA does it, slope 1/4
/// in the logit), the last iterate kept, both networks in eval mode while it searches.
/// Its region is the <b>full image</b>: the defender's mask is computed from the attacked input, so a bound tied to the
/// clean image's predicted foreground is one the attacker need not respect, and the full image contains every region
/// the pipeline evaluation attacks (its worst case includes the full-image attack). The masker then also learns to
/// keep its mask on examples made to fool the pipeline: its segmentation loss is taken at the adversarial input.
/// </para>
/// </summary>
public sealed class JointTrainingStep : ITrainingStep, IDisposable
{
    readonly ImageClassifier _model;
    readonly SgdMomentum _optimizer;
    readonly MaskUNet _masker;
    readonly optim.Optimizer _maskerOptimizer;
    readonly TrainingOptions _options;
    readonly JointTrainingOptions _joint;
    static readonly Binarize MaskThreshold = new(0.5), LogitThreshold = new(0.0);
    double _segmentationSum, _iouSum;
    long _seen;

    public JointTrainingStep(ImageClassifier model, SgdMomentum optimizer, MaskUNet masker, TrainingOptions options)
    {
        _joint = options.Joint ?? throw new ArgumentException("the options name no joint training", nameof(options));
        _model = model;
        _optimizer = optimizer;
        _masker = masker;
        _options = options;
        _maskerOptimizer = optim.Adam(masker.parameters(), lr: _joint.MaskerLearningRate);
    }

    public MaskUNet Masker => _masker;

    /// <summary>The epoch so far: mean segmentation loss and mean IoU of the soft prediction on the inputs trained on.</summary>
    public (double SegmentationLoss, double TrainIoU) EpochMasker =>
        _seen == 0 ? (double.NaN, double.NaN) : (_segmentationSum / _seen, _iouSum / _seen);

    public void StartEpoch()
    {
        _segmentationSum = _iouSum = 0;
        _seen = 0;
        _masker.train();
    }

    public StepOutcome Run(TensorBatch batch, int epoch, ref int iteration, int iterationsPerEpoch)
    {
        double learningRate = LearningRates.At(_options, epoch, iteration, iterationsPerEpoch);
        var inputs = batch.Images;
        if (_options.Mode == TrainingMode.Pgd)
        {
            double epsilon = _options.EpsilonAt(epoch);
            double stepSize = _options.StepSize * epsilon / Math.Max(_options.Epsilon, double.Epsilon);
            inputs = PipelinePgd(inputs, batch.Labels, epsilon, stepSize, Trainer.EpochSeed(_options.Seed, epoch) ^ (iteration * 7919));
        }
        iteration++;
        _model.train();
        _masker.train();
        var maskLogits = _masker.forward(inputs);
        var mask = _joint.Mask == MaskMode.Soft ? maskLogits.sigmoid() : MaskThreshold.BackwardSubstitute(maskLogits.sigmoid());
        var logits = _model.forward(inputs * mask);
        var classification = F.cross_entropy(logits, batch.Labels);
        var segmentation = SegmentationLoss.Mean(maskLogits, batch.Masks);
        var loss = classification + segmentation * _joint.SegmentationWeight;
        _optimizer.ZeroGrad();
        _maskerOptimizer.zero_grad();
        loss.backward();
        _optimizer.Step(learningRate);
        foreach (var group in _maskerOptimizer.ParamGroups) group.LearningRate = _joint.MaskerLearningRate * learningRate / _options.LearningRate;
        _maskerOptimizer.step();
        int n = batch.Count;
        _segmentationSum += segmentation.item<float>() * n;
        using (no_grad()) _iouSum += MaskIoU.PerImage(maskLogits.detach().sigmoid(), batch.Masks).Sum();
        _seen += n;
        return new StepOutcome(classification.item<float>(), logits.argmax(1).eq(batch.Labels).sum().item<long>());
    }

    /// <summary>Madry et al.'s training PGD (last iterate) against the pipeline, full-image L∞ ball, both networks in eval mode.</summary>
    Tensor PipelinePgd(Tensor x, Tensor labels, double epsilon, double stepSize, int seed)
    {
        using var scope = NewDisposeScope();
        var threat = ThreatModel.Linf(epsilon);
        using var generator = new Generator((ulong)(uint)seed, CPU);
        var adversarial = threat.RandomStart(x, generator);
        _model.eval();
        _masker.eval();
        try
        {
            for (int k = 0; k < _options.Steps; k++)
            {
                var point = adversarial.detach().requires_grad_(true);
                var z = _masker.forward(point);
                // As GradientPath.StraightThrough: slope σ'(0) = 1/4 in the logit, which does not vanish where σ saturates.
                var mask = _joint.Mask == MaskMode.Soft ? z.sigmoid() : LogitThreshold.BackwardSubstitute(z / 4);
                var loss = F.cross_entropy(_model.forward(point * mask), labels);
                var grad = autograd.grad([loss], [point])[0];
                using (no_grad()) adversarial = threat.Project(point.detach() + grad.sign() * stepSize, x);
            }
        }
        finally
        {
            _model.train();
            _masker.train();
        }
        return adversarial.detach().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Validation of the pipeline in the mask form it was trained with: natural accuracy, accuracy under L∞ PGD over the
    /// full image (end to end; BPDA through a threshold, <see cref="GradientPath.StraightThrough"/>) when ε > 0, and
    /// the IoU of the clean images' thresholded masks against the dataset's.
    /// </summary>
    public JointValidation Validate(BatchBuilder builder, int[] validation)
    {
        if (validation.Length == 0) return new JointValidation(double.NaN, double.NaN, MeanWithInterval.Of([]), []);
        _model.eval();
        _masker.eval();
        long natural = 0, robust = 0;
        var iou = new List<double>(validation.Length);
        var labels = new List<long>(validation.Length);
        for (int start = 0; start < validation.Length; start += _options.BatchSize)
        {
            int n = Math.Min(_options.BatchSize, validation.Length - start);
            using var zone = Runtime.NoCollectionZone.Enter(builder.ManagedBytes(n));
            using var scope = NewDisposeScope();
            using var batch = builder.Build(new ArraySegment<int>(validation, start, n));
            var pipeline = new PredictedMaskTarget(_masker, new ModuleTarget(_model), _joint.Mask,
                _joint.Mask == MaskMode.Soft ? GradientPath.ThroughSoftMask : GradientPath.StraightThrough);
            using (no_grad())
            {
                natural += pipeline.Logits(batch.Images).argmax(1).eq(batch.Labels).sum().item<long>();
                iou.AddRange(MaskIoU.PerImage(_masker.SoftMask(batch.Images), batch.Masks));
                labels.AddRange(batch.Labels.cpu().data<long>().ToArray());
            }
            if (_options.Epsilon > 0)
            {
                var attack = new PgdAttack
                {
                    Steps = _options.ValidationSteps, StepSize = 2.5 * _options.Epsilon / _options.ValidationSteps,
                    Seed = Trainer.EpochSeed(_options.Seed, -1) + start, EarlyStop = false, RandomStart = true, Restarts = 1,
                };
                using var result = attack.Run(pipeline, batch.Images, batch.Labels, ThreatModel.Linf(_options.Epsilon));
                robust += result.Count - result.FooledCount;
            }
        }
        if (_options.Epsilon <= 0) robust = natural;
        var report = IoUReport.Of(iou.ToArray(), labels.ToArray());
        return new JointValidation((double)natural / validation.Length, (double)robust / validation.Length, report.Mean,
            report.PerClass.ToDictionary());
    }

    public void Dispose() => _maskerOptimizer.Dispose();
}
