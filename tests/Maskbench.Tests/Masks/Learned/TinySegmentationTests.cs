using Maskbench.Masks.Learned;
using Maskbench.Models;
using static TorchSharp.torch;

namespace Maskbench.Tests.Masks.Learned;

[Collection(Maskbench.Tests.Support.TorchThreadsCollection.Name)]
public class MaskerTrainerTests
{
    [Fact]
    public void NaturalTrainingLearnsTheForegroundAndTheClassifierItsColour()
    {
        var task = TinySegmentation.Instance;
        var iou = MaskerEvaluation.IoU(task.Masker, task.Test, CPU);
        Assert.True(iou.Average() >= 0.85, $"test IoU {iou.Average():F3}");
        Assert.True(task.MaskerEpochs[^1].Loss < task.MaskerEpochs[0].Loss);
        var (x, m, y) = TinySegmentation.Tensors(task.Test);
        using (no_grad())
        {
            double accuracy = task.Classifier.forward(x * m).argmax(1).eq(y).to_type(ScalarType.Float64).mean().item<double>();
            Assert.True(accuracy >= 0.9, $"oracle-mask accuracy {accuracy:P1}");
        }
    }

    [Fact]
    public void SameSeedGivesTheSameWeights()
    {
        var data = TinySegmentation.Generate(64, seed: 9);
        var options = TinySegmentation.MaskerOptions with { Epochs = 2, Augment = true, HorizontalFlip = true };
        var spec = new MaskerSpec { InputSize = TinySegmentation.Size, BaseWidth = 2, Depth = 2 };
        var (a, _) = new MaskerTrainer(options, Maskbench.Progress.NullProgress.Instance).Train(data, spec, CPU);
        var (b, _) = new MaskerTrainer(options, Maskbench.Progress.NullProgress.Instance).Train(data, spec, CPU);
        var (c, _) = new MaskerTrainer(options with { Seed = options.Seed + 1 }, Maskbench.Progress.NullProgress.Instance).Train(data, spec, CPU);
        var sa = a.state_dict();
        var sb = b.state_dict();
        var sc = c.state_dict();
        Assert.All(sa, kv => Assert.True(kv.Value.eq(sb[kv.Key]).all().item<bool>(), kv.Key));
        Assert.Contains(sa, kv => !kv.Value.eq(sc[kv.Key]).all().item<bool>());
    }

    /// <summary>PGD training is a different algorithm from natural training on the same seed, and it buys IoU under attack.</summary>
    [Fact]
    public void PgdTrainingHoldsTheMaskBetterUnderAttack()
    {
        var task = TinySegmentation.Instance;
        var options = TinySegmentation.MaskerOptions with { Mode = MaskerTrainingMode.Pgd, Epsilon = 24.0 / 255, Steps = 3 };
        var (robust, _) = new MaskerTrainer(options, Maskbench.Progress.NullProgress.Instance).Train(task.Train, TinySegmentation.MaskerSpec, CPU);
        var attack = (Maskbench.Attacks.ThreatModel.Linf(24.0 / 255), 5, 0);
        double naturalUnderAttack = MaskerEvaluation.IoU(task.Masker, task.Test, CPU, attack: attack).Average();
        double robustUnderAttack = MaskerEvaluation.IoU(robust, task.Test, CPU, attack: attack).Average();
        Assert.True(robustUnderAttack > naturalUnderAttack + 0.02, $"IoU under attack: natural masker {naturalUnderAttack:F3}, PGD masker "
            + $"{robustUnderAttack:F3}");
    }
}
