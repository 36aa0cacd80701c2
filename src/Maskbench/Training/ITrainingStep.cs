using Maskbench.Batching;

namespace Maskbench.Training;

/// <summary>
/// One optimizer update per batch, as <see cref="Trainer"/> drives it: the classifier alone (<see cref="TrainingStep"/>) or the masker with it (<see
/// cref="JointTrainingStep"/>).
/// </summary>
public interface ITrainingStep
{
    /// <summary>Called at each epoch's start, before its first batch.</summary>
    void StartEpoch();

    StepOutcome Run(TensorBatch batch, int epoch, ref int iteration, int iterationsPerEpoch);
}
