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
    /// The training adversary of Madry et al. 2018: a uniform random start in the threat set (foreground only when
    /// masked), <paramref name="steps"/> signed gradient steps of size <paramref name="stepSize"/>, each projected by the
    /// <see cref="ThreatModel"/>, and the LAST iterate returned (detached), as in their training code. The search runs in
    /// eval mode (batch-norm running statistics), so its passes neither see nor move the batch statistics that the
    /// update then uses; it computes in <paramref name="compute"/> (bf16 training searches in bfloat16; the
    /// iterates stay float32). This is a training algorithm; evaluation uses
    /// <see cref="PgdAttack"/>, which keeps the first fooling iterate and records every example.
    /// </summary>
    public static Tensor MadryPgd(ImageClassifier model, Tensor x, Tensor labels, Tensor? mask, double epsilon, int steps, double stepSize, int seed,
        ScalarType? compute = null)
    {
        using var scope = NewDisposeScope();
        var threat = Threat(epsilon, mask);
        using var generator = new Generator((ulong)(uint)seed, CPU);
        // Every step projects onto the same set: clamping between its bounds is the projection, bit for bit, and cheaper.
        using var bounds = threat.BoundsAround(x);
        var adversarial = threat.RandomStart(x, generator, bounds);
        // The search runs the model's frozen form (batch norm folded, see FrozenClassifier) where it has one: the same
        // eval-mode function, cheaper per step. The copy is made per batch, since the weights change between batches.
        using var frozen = model.Freeze(compute ?? x.dtype);
        bool training = model.training;
        if (frozen is null) model.eval();
        try
        {
            for (int k = 0; k < steps; k++)
            {
                var point = adversarial.detach().requires_grad_(true);
                var seen = mask is null ? point : point * mask;
                var logits = frozen is null ? model.forward(seen) : frozen.Forward(seen);
                var loss = F.cross_entropy(logits.to_type(ScalarType.Float32), labels);
                var grad = autograd.grad([loss], [point])[0];
                using (no_grad())
                {
                    var stepped = point.detach() + grad.sign() * stepSize;
                    adversarial = bounds is null ? threat.Project(stepped, x) : bounds.Project(stepped);
                }
            }
        }
        finally
        {
            if (training && frozen is null) model.train();
        }
        return adversarial.detach().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// PGD as an evaluation (validation accuracy under attack): the attack library's <see cref="PgdAttack"/> on the
    /// model as seen through <see cref="ModuleTarget"/> (which applies the input mask), no early stop, the first
    /// fooling (else lowest-margin) iterate returned; the attack puts the model in eval mode while it searches.
    /// </summary>
    public static Tensor Pgd(ImageClassifier model, Tensor x, Tensor labels, Tensor? mask, double epsilon, int steps, double stepSize, int seed)
    {
        var attack = new PgdAttack { Steps = steps, StepSize = stepSize, Seed = seed, EarlyStop = false, RandomStart = true, Restarts = 1 };
        using var result = attack.Run(new ModuleTarget(model, mask), x, labels, Threat(epsilon, mask));
        return result.Adversarial.detach().clone();
    }
}
