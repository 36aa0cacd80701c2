using System.Text.Json.Serialization;
using Maskbench.Attacks;

namespace Maskbench.Training;

[JsonConverter(typeof(JsonStringEnumConverter<TrainingMode>))]
public enum TrainingMode
{
    /// <summary>Clean examples only.</summary>
    Natural,
    /// <summary>Madry et al. 2018: PGD with random start on every batch.</summary>
    Pgd,
    /// <summary>Wong, Rice and Kolter 2020 ("Fast is better than free"): one FGSM step from a random start.</summary>
    Fast,
    /// <summary>Shafahi et al. 2019 ("Adversarial Training for Free!"): each batch replayed, the perturbation carried over.</summary>
    Free,
}

[JsonConverter(typeof(JsonStringEnumConverter<LearningRateSchedule>))]
public enum LearningRateSchedule
{
    /// <summary>Divide by 10 at 50% and 75% of the epochs (per epoch).</summary>
    Multistep,
    /// <summary>Cosine annealing to 0, per iteration.</summary>
    Cosine,
}

/// <summary>How a classifier is trained. Defaults are those of the paper's CIFAR-style setting.</summary>
public sealed record TrainingOptions
{
    public TrainingMode Mode { get; init; } = TrainingMode.Natural;
    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 128;
    public double LearningRate { get; init; } = 0.1;
    public double Momentum { get; init; } = 0.9;
    public double WeightDecay { get; init; } = 5e-4;
    public LearningRateSchedule Schedule { get; init; } = LearningRateSchedule.Multistep;
    /// <summary>L∞ radius of the training (and validation) adversary, in [0,1] pixel units.</summary>
    public double Epsilon { get; init; } = 8.0 / 255;
    /// <summary>
    /// Epochs over which the training adversary's ε (and PGD step) grows linearly to <see cref="Epsilon"/>; 0 trains at
    /// full ε from the start. A ramp is the usual remedy when a small model cannot fit full-strength adversarial
    /// examples from random weights (as in Gowal et al. 2018); validation always uses the full ε.
    /// </summary>
    public int EpsilonWarmupEpochs { get; init; }

    /// <summary>The training adversary's ε in epoch <paramref name="epoch"/> (0-based).</summary>
    public double EpsilonAt(int epoch) =>
        EpsilonWarmupEpochs <= 0 ? Epsilon : Epsilon * Math.Min(1.0, (epoch + 1.0) / EpsilonWarmupEpochs);

    /// <summary>PGD steps for <see cref="TrainingMode.Pgd"/> training.</summary>
    public int Steps { get; init; } = 7;
    public double StepSize { get; init; } = 2.0 / 255;
    /// <summary>Replays of each batch in free training (Shafahi et al. use m = 8 on CIFAR-10 and divide the epochs by m).</summary>
    public int FreeReplays { get; init; } = 4;
    /// <summary>FGSM step of fast training as a multiple of ε (Wong et al. 2020 use 1.25).</summary>
    public double FastStepFactor { get; init; } = 1.25;
    public int Seed { get; init; }
    /// <summary>Train on x * mask; the adversary then perturbs the foreground only.</summary>
    public bool Masked { get; init; }
    /// <summary>Use at most this many training images (after the validation slice is taken); null: all.</summary>
    public int? LimitTrain { get; init; }
    /// <summary>Images held out of the training split for per-epoch validation (deterministic per seed).</summary>
    public int ValidationCount { get; init; } = 500;
    /// <summary>PGD steps of the validation adversary (step size 2.5 ε / steps, random start).</summary>
    public int ValidationSteps { get; init; } = 10;
    /// <summary>
    /// Joint training of masker and classifier (null: the classifier alone). Needs <see cref="Masked"/> and the natural
    /// or PGD mode; the dataset's masks then train the masker and never reach the classifier.
    /// </summary>
    public JointTrainingOptions? Joint { get; init; }
    /// <summary>Random crop after zero padding by S/8 (4 pixels at 32x32).</summary>
    public bool RandomCrop { get; init; } = true;
    /// <summary>Random horizontal flips; only when the dataset says labels survive them (never traffic signs).</summary>
    public bool HorizontalFlip { get; init; }
    /// <summary>
    /// The precision of training's forward and backward passes (and of the training adversary's search).
    /// <see cref="Precision.Bf16"/> is mixed-precision training as under PyTorch's CPU autocast: bfloat16 activations
    /// and weight copies, float32 master weights, gradients, momentum and loss; validation stays float32.
    /// </summary>
    [JsonConverter(typeof(JsonStringEnumConverter<Precision>))]
    public Precision Precision { get; init; } = Precision.Fp32;

    /// <summary>The dtype training's passes compute in.</summary>
    public TorchSharp.torch.ScalarType ComputeType =>
        Precision == Precision.Bf16 ? TorchSharp.torch.ScalarType.BFloat16 : TorchSharp.torch.ScalarType.Float32;

    public void Validate()
    {
        if (Epochs < 1) throw new MaskbenchException($"--epochs must be at least 1, got {Epochs}");
        if (BatchSize < 1) throw new MaskbenchException($"--batch must be at least 1, got {BatchSize}");
        if (!(LearningRate > 0)) throw new MaskbenchException($"--lr must be positive, got {LearningRate}");
        if (!(Epsilon >= 0) || Epsilon > 1) throw new MaskbenchException($"--eps must be in [0, 1], got {Epsilon}");
        if (EpsilonWarmupEpochs < 0) throw new MaskbenchException($"--eps-warmup must be at least 0, got {EpsilonWarmupEpochs}");
        if (Steps < 1) throw new MaskbenchException($"--steps must be at least 1, got {Steps}");
        if (!(StepSize > 0)) throw new MaskbenchException($"--step-size must be positive, got {StepSize}");
        if (FreeReplays < 1) throw new MaskbenchException($"free-training replays must be at least 1, got {FreeReplays}");
        if (ValidationCount < 0) throw new MaskbenchException($"--val must be at least 0, got {ValidationCount}");
        if (LimitTrain is < 1) throw new MaskbenchException($"--limit-train must be at least 1, got {LimitTrain}");
        if (Joint is not null)
        {
            Joint.Validate();
            if (!Masked) throw new MaskbenchException("joint training trains a masked classifier; it needs --masked");
            if (Mode is not (TrainingMode.Natural or TrainingMode.Pgd))
                throw new MaskbenchException($"joint training supports the natural and pgd modes, not {Mode.ToString().ToLowerInvariant()}");
        }
    }
}
