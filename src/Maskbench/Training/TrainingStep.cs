using Maskbench.Batching;
using Maskbench.Data;
using Maskbench.Models;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Maskbench.Training;

/// <summary>The loss and number of correct predictions of one training batch (on the inputs the model was trained on).</summary>
public readonly record struct StepOutcome(double Loss, long Correct);

/// <summary>
/// One optimizer update (or, for free training, a batch's replays) in each training mode. The model is in train mode
/// for every update and while fast and free training build their examples (as in those papers' code); the PGD search
/// runs in eval mode. With <see cref="TrainingOptions.Precision"/> bf16 every pass computes in bfloat16 against float32
/// master weights (see <see cref="TrainingAdversary.MadryPgd"/>).
/// Public so that the `train` benchmark times exactly the code the trainer runs.
/// </summary>
public sealed class TrainingStep(ImageClassifier model, SgdMomentum optimizer, TrainingOptions options) : ITrainingStep
{
    // Free training's perturbation, carried from batch to batch within an epoch (Shafahi et al. 2019, Algorithm 1).
    // It restarts from zero each epoch so that an epoch depends only on the checkpoint it starts from.
    Tensor? freeDelta;

    public void StartEpoch()
    {
        freeDelta?.Dispose();
        freeDelta = null;
    }

    /// <summary>Runs the batch's update(s) inside a <see cref="Runtime.NoCollectionZone"/> (nested in the caller's, if any).</summary>
    public StepOutcome Run(TensorBatch batch, int epoch, ref int iteration, int iterationsPerEpoch)
    {
        using var zone = Runtime.NoCollectionZone.Enter();
        // bf16 training: every pass of the step (the update's and the adversary's) computes in bfloat16 against the
        // float32 master weights (ImageClassifier.ComputeType); the loss and the SGD update stay float32.
        using var compute = model.ComputeIn(options.ComputeType);
        var mask = options.Masked ? batch.Masks : null;
        switch (options.Mode)
        {
            case TrainingMode.Natural:
                return Update(batch.Images, batch.Labels, mask, LearningRates.At(options, epoch, iteration++, iterationsPerEpoch));
            case TrainingMode.Pgd:
            {
                double scale = options.EpsilonAt(epoch) / Math.Max(options.Epsilon, double.Epsilon);
                var adversarial = TrainingAdversary.MadryPgd(model, batch.Images, batch.Labels, mask, options.EpsilonAt(epoch), options.Steps,
                    options.StepSize * scale,
                    Trainer.EpochSeed(options.Seed, epoch) ^ (iteration * 7919), options.ComputeType);
                return Update(adversarial, batch.Labels, mask, LearningRates.At(options, epoch, iteration++, iterationsPerEpoch));
            }
            case TrainingMode.Fast:
            {
                var adversarial = TrainingAdversary.Fgsm(model, batch.Images, batch.Labels, mask, options.EpsilonAt(epoch),
                    options.FastStepFactor * options.EpsilonAt(epoch));
                return Update(adversarial, batch.Labels, mask, LearningRates.At(options, epoch, iteration++, iterationsPerEpoch));
            }
            case TrainingMode.Free:
                return Free(batch, mask, epoch, ref iteration, iterationsPerEpoch);
            default:
                throw new ArgumentOutOfRangeException(nameof(options));
        }
    }

    StepOutcome Update(Tensor inputs, Tensor labels, Tensor? mask, double learningRate)
    {
        var logits = model.forward(mask is null ? inputs : inputs * mask);
        var loss = F.cross_entropy(logits, labels);
        optimizer.ZeroGrad();
        loss.backward();
        optimizer.Step(learningRate);
        return new StepOutcome(loss.item<float>(), logits.argmax(1).eq(labels).sum().item<long>());
    }

    /// <summary>
    /// Shafahi et al. 2019: replay the batch m times; each replay's single backward pass gives both the parameter
    /// update and the gradient for an FGSM step on the carried perturbation δ (projected by the threat model).
    /// Reports the last replay's loss.
    /// </summary>
    StepOutcome Free(TensorBatch batch, Tensor? mask, int epoch, ref int iteration, int iterationsPerEpoch)
    {
        var x = batch.Images;
        int n = batch.Count;
        if (freeDelta is null || freeDelta.shape[0] < n)
        {
            freeDelta?.Dispose();
            freeDelta = zeros_like(x).DetachFromDisposeScope();
        }
        double epsilon = options.EpsilonAt(epoch);
        var threat = TrainingAdversary.Threat(epsilon, mask);
        StepOutcome outcome = default;
        for (int replay = 0; replay < options.FreeReplays; replay++)
        {
            using var scope = NewDisposeScope();
            var delta = freeDelta.narrow(0, 0, n);
            var adversarial = threat.Project(x + delta, x).detach().requires_grad_(true);
            var logits = model.forward(mask is null ? adversarial : adversarial * mask);
            var loss = F.cross_entropy(logits, batch.Labels);
            optimizer.ZeroGrad();
            loss.backward();
            optimizer.Step(LearningRates.At(options, epoch, iteration++, iterationsPerEpoch));
            using (no_grad())
            {
                var stepped = threat.Project(adversarial.detach() + adversarial.grad!.sign() * epsilon, x);
                delta.copy_(stepped - x);
            }
            outcome = new StepOutcome(loss.item<float>(), logits.argmax(1).eq(batch.Labels).sum().item<long>());
        }
        return outcome;
    }
}
