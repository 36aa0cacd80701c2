using Maskbench.Attacks;
using Maskbench.Models;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Maskbench.Training;

/// <summary>
/// The adversarial examples training needs, all under an L∞ <see cref="ThreatModel"/> whose mask (on masked data) is
/// the batch's foreground mask: PGD comes from the attack library; the single FGSM step of fast training is here
/// because it is part of that training algorithm (Wong et al. 2020), not an attack one would evaluate with.
/// </summary>
static class TrainingAdversary
{
    public static ThreatModel Threat(double epsilon, Tensor? mask) => ThreatModel.Linf(epsilon, mask);

    /// <summary>
    /// Wong, Rice and Kolter 2020, Algorithm 3: δ uniform in the ε-ball (foreground only when masked), one signed
    /// gradient step of size α from there, projected back. Returns detached adversarial inputs.
    /// </summary>
    public static Tensor Fgsm(ImageClassifier model, Tensor x, Tensor labels, Tensor? mask, double epsilon, double stepSize)
    {
        using var scope = NewDisposeScope();
        var threat = Threat(epsilon, mask);
        var start = threat.Project(x + (rand_like(x) * 2 - 1) * epsilon, x).requires_grad_(true);
        var loss = F.cross_entropy(model.forward(mask is null ? start : start * mask), labels);
        var grad = autograd.grad([loss], [start])[0];
        using var noGrad = no_grad();
        return threat.Project(start.detach() + grad.sign() * stepSize, x).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Madry et al. 2018 PGD with random start, run by the attack library's <see cref="PgdAttack"/> on the model as
    /// seen through <see cref="ModuleTarget"/> (which applies the input mask). No early stop: every example gets all
    /// steps, and the iterate with the lowest margin is returned (detached). The attack frame puts the model in eval
    /// mode while it searches and restores train mode afterwards; <paramref name="seed"/> fixes the random start.
    /// </summary>
    public static Tensor Pgd(ImageClassifier model, Tensor x, Tensor labels, Tensor? mask, double epsilon, int steps, double stepSize, int seed)
    {
        var attack = new PgdAttack { Steps = steps, StepSize = stepSize, Seed = seed, EarlyStop = false, RandomStart = true, Restarts = 1 };
        using var result = attack.Run(new ModuleTarget(model, mask), x, labels, Threat(epsilon, mask));
        return result.Adversarial.detach().clone();
    }
}
