namespace Maskbench.Training;

/// <summary>
/// The learning rate as a pure function of (epoch, iteration): the schedule has no state of its own, so a resumed
/// run needs only the epoch to continue exactly. Multistep changes per epoch (÷10 at 50% and 75% of the epochs, the
/// usual CIFAR schedule); cosine changes per iteration (Loshchilov and Hutter 2017, SGDR, without restarts).
/// </summary>
public static class LearningRates
{
    public static double At(TrainingOptions options, int epoch, int iteration, int iterationsPerEpoch)
    {
        double lr = options.LearningRate;
        switch (options.Schedule)
        {
            case LearningRateSchedule.Multistep:
                if (epoch >= (int)Math.Floor(0.5 * options.Epochs) && options.Epochs >= 2) lr *= 0.1;
                if (epoch >= (int)Math.Floor(0.75 * options.Epochs) && options.Epochs >= 4) lr *= 0.1;
                return lr;
            case LearningRateSchedule.Cosine:
                double total = (double)options.Epochs * Math.Max(1, iterationsPerEpoch);
                double t = (double)epoch * Math.Max(1, iterationsPerEpoch) + iteration;
                return 0.5 * lr * (1 + Math.Cos(Math.PI * t / total));
            default:
                throw new ArgumentOutOfRangeException(nameof(options));
        }
    }
}
