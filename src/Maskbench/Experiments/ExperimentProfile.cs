namespace Maskbench.Experiments;

/// <summary>
/// The scale of a grid. <see cref="Paper"/> uses the paper's settings (VGG-19 at full width, all data, PGD with
/// ε = 8/255, step 2/255, 20 steps; Section "Results") and needs a GPU; the paper does not give its training
/// schedule, so ours is stated here (SGD with momentum, 30 epochs, PGD-7 adversarial training as in Madry et al.).
/// <see cref="Cpu"/> scales everything down so that the demo finishes on 2 cores: numbers measured with it are
/// not the paper's scale and the report says so. Validation (a slice of the training split, used by the trainer to
/// mark the best epoch) is not part of the key of a cell, like the data loader's batch size would not be.
/// </summary>
public sealed record ExperimentProfile(
    string Name,
    string Arch,
    double Width,
    int Epochs,
    int BatchSize,
    double LearningRate,
    int TrainLimit,
    int TestLimit,
    int TrainSteps,
    int PgdSteps,
    int Restarts,
    int ApgdSteps,
    int SquareQueries,
    bool StrongSuite,
    bool Sweep,
    bool RandomMaskControl,
    int Seed,
    int ValidationCount = 500,
    int ValidationSteps = 10,
    int TrainEpsilonWarmup = 0)
{
    /// <summary>ε of the paper's PGD: 8/255 (L∞, pixels in [0, 1]).</summary>
    public const double PaperEpsilon = 8.0 / 255;
    public const double PaperStepSize = 2.0 / 255;
    public const int PaperSteps = 20;
    /// <summary>The ε sweep, in 1/255 units; 8 is the paper's budget.</summary>
    public static readonly int[] SweepEpsilons255 = [0, 2, 4, 8, 16];

    public static ExperimentProfile Paper { get; } = new(
        "paper", "vgg19", Width: 1.0, Epochs: 30, BatchSize: 128, LearningRate: 0.01,
        TrainLimit: 0, TestLimit: 0, TrainSteps: 7, PgdSteps: PaperSteps, Restarts: 5, ApgdSteps: 100,
        SquareQueries: 5000, StrongSuite: true, Sweep: true, RandomMaskControl: true, Seed: 0);

    /// <summary>VGG-11 (the shallowest VGG: on 2 cores VGG-19 at 1/8 width learns too little in a few epochs) at 1/8
    /// width; pass <c>--arch vgg19</c> to keep the paper's depth at the cost of time.</summary>
    public static ExperimentProfile Cpu { get; } = new(
        "cpu", "vgg11", Width: 0.125, Epochs: 12, BatchSize: 64, LearningRate: 0.05,
        TrainLimit: 2000, TestLimit: 200, TrainSteps: 1, PgdSteps: 10, Restarts: 2, ApgdSteps: 10,
        SquareQueries: 100, StrongSuite: true, Sweep: true, RandomMaskControl: true, Seed: 0,
        ValidationCount: 50, ValidationSteps: 2, TrainEpsilonWarmup: 6);

    public static ExperimentProfile Named(string name) => name.ToLowerInvariant() switch
    {
        "paper" => Paper,
        "cpu" => Cpu,
        _ => throw new MaskbenchException($"unknown profile '{name}' (expected paper or cpu)"),
    };

    /// <summary>The step size for a PGD budget: the paper's ratio (2/255 for 8/255), scaled up when fewer steps are used
    /// so that the iterates can still cross the whole ε-ball (steps × step ≥ 2.5 ε).</summary>
    public double StepFor(double epsilon, int steps) =>
        epsilon * Math.Max(PaperStepSize / PaperEpsilon, 2.5 / Math.Max(1, steps));
}
