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
    public static ThreatModel Threat(double epsilon, Tensor? mask) => new(epsilon, mask);

    // TEMPORARY stand-in until Maskbench.Attacks (ThreatModel, PgdAttack) is merged.
    public sealed class ThreatModel(double epsilon, Tensor? mask)
    {
        public Tensor Project(Tensor candidate, Tensor x)
        {
            using var scope = NewDisposeScope();
            var delta = (candidate - x).clamp(-epsilon, epsilon);
            if (mask is not null) delta = delta * mask;
            return (x + delta).clamp(0, 1).MoveToOuterDisposeScope();
        }
    }

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

    /// <summary>Madry et al. 2018 PGD with random start, from the attack library. Returns detached adversarial inputs.</summary>
    public static Tensor Pgd(ImageClassifier model, Tensor x, Tensor labels, Tensor? mask, double epsilon, int steps, double stepSize)
    {
        using var scope = NewDisposeScope();
        var threat = Threat(epsilon, mask);
        var current = threat.Project(x + (rand_like(x) * 2 - 1) * epsilon, x);
        for (int i = 0; i < steps; i++)
        {
            current = current.detach().requires_grad_(true);
            var loss = F.cross_entropy(model.forward(mask is null ? current : current * mask), labels);
            var grad = autograd.grad([loss], [current])[0];
            using var noGrad = no_grad();
            current = threat.Project(current.detach() + grad.sign() * stepSize, x);
        }
        return current.detach().MoveToOuterDisposeScope();
    }
}
