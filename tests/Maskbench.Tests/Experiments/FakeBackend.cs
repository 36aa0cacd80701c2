using Maskbench.Attacks;
using Maskbench.Data;
using Maskbench.Experiments;
using Maskbench.Progress;

namespace Maskbench.Tests.Experiments;

/// <summary>
/// A backend without tensors: the checkpoint is a file of the model's parameters, and an example survives an attack
/// when its index modulo 20 is below a threshold that falls with ε (so that accuracies are known in closed form).
/// </summary>
sealed class FakeBackend : IExperimentBackend
{
    public const int TestCount = 40;
    public int TrainCalls, EvaluateCalls;
    public readonly List<string> Evaluated = [];
    /// <summary>Models (by id) that "failed to train": every example wrong.</summary>
    public readonly HashSet<string> Untrained = [];

    public TrainedModel Train(GridModel model, string runFolder, IProgressSink progress)
    {
        TrainCalls++;
        Directory.CreateDirectory(runFolder);
        string path = Path.Combine(runFolder, "model.bin");
        File.WriteAllText(path, string.Join(";", model.ToParameters()));
        return new TrainedModel(path, [new() { ["epoch"] = 1, ["loss"] = 2.0, ["train_accuracy"] = 0.5 },
            new() { ["epoch"] = 2, ["loss"] = 1.0, ["train_accuracy"] = 0.75 }]);
    }

    public static int Threshold(GridModel model, GridAttack attack)
    {
        // Further seeds (--seeds) lose one example in 20 per seed, so that seeds differ in a known way.
        int natural = (model.IsAdversarial ? 16 : 18) - model.Seed;
        int drop = (int)Math.Round(attack.Epsilon * 255) * (model.IsAdversarial ? 1 : 2);
        if (attack.Attack is Maskbench.Attacks.AttackRegistry.ApgdCe or Maskbench.Attacks.AttackRegistry.Square) drop += 1;
        return Math.Max(0, natural - drop);
    }

    public EvaluationOutcome Evaluate(GridModel model, TrainedModel trained, GridAttack attack, IProgressSink progress)
    {
        Assert.True(File.Exists(trained.CheckpointPath));
        EvaluateCalls++;
        Evaluated.Add($"{model.Id}/{attack.Attack}/{attack.Epsilon * 255:F0}/{attack.Threat.Spelling()}");
        int threshold = Untrained.Contains(model.Id) ? 0 : Threshold(model, attack);
        var indices = Enumerable.Range(0, TestCount).ToArray();
        // The APGD-DLR fake misses different examples from PGD, so the worst case is lower than each attack alone.
        bool Correct(int k) => attack.Attack == Maskbench.Attacks.AttackRegistry.ApgdDlr && attack.Epsilon > 0 ? (k + 3) % 20 < threshold
            : k % 20 < threshold;
        var examples = attack.Attack == Maskbench.Attacks.AttackRegistry.Pgd
            ? new AdversarialExamples([Image(10)], [new BinaryMask(4, 4, Enumerable.Range(0, 16).Select(i => (byte)(i % 2)).ToArray())], [Image(20)])
            : null;
        return new EvaluationOutcome(indices, indices.Select(k => (long)(k % 3)).ToArray(), indices.Select(k => k / (double)TestCount).ToArray(),
            indices.Select(Correct).ToArray(), examples);
    }

    static RgbImage Image(byte value) => new(4, 4, Enumerable.Repeat(value, 48).ToArray());

    /// <summary>A small plan over a made-up dataset.</summary>
    public static ExperimentPlan Plan(ExperimentProfile? profile = null) =>
        ExperimentPlan.Create(profile ?? ExperimentProfile.Cpu, "/data/fake-gtsrb", "gtsrb-ic-synthetic", new string('a', 64), null,
            new Maskbench.Reports.DatasetSummary
            {
                Name = "gtsrb-ic-synthetic", Sha256 = new string('a', 64), ClassNames = ["stop", "yield", "priority road"], ImageSize = 4,
                CountsPerSplit = new() { ["train"] = [101, 202, 303], ["test"] = [14, 13, 13] },
            });
}
