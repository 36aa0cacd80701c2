using static TorchSharp.torch;

namespace Maskbench.Training;

/// <summary>
/// Stochastic gradient descent with momentum and L2 weight decay, step for step as PyTorch's <c>torch.optim.SGD</c>
/// (dampening 0, no Nesterov): g = ∇ + λ·p; b = g on the first step, else b = μ·b + g; p = p − lr·b
/// (equal up to float rounding: the sum is formed in another order to save a pass).
/// Written here so its whole state (the momentum buffers, keyed by parameter name) is visible to checkpoints.
/// </summary>
public sealed class SgdMomentum : IDisposable
{
    readonly IReadOnlyList<(string Name, TorchSharp.Modules.Parameter Parameter)> parameters;
    readonly Dictionary<string, Tensor> buffers = [];

    public SgdMomentum(IEnumerable<(string Name, TorchSharp.Modules.Parameter Parameter)> parameters, double momentum, double weightDecay)
    {
        this.parameters = parameters.ToList();
        Momentum = momentum;
        WeightDecay = weightDecay;
    }

    public double Momentum { get; }
    public double WeightDecay { get; }

    /// <summary>Momentum buffers by parameter name (absent before a parameter's first step).</summary>
    public IReadOnlyDictionary<string, Tensor> Buffers => buffers;

    public void ZeroGrad()
    {
        using var scope = NewDisposeScope();   // disposes the gradient handles fetched here
        foreach (var (_, p) in parameters) p.grad?.zero_();
    }

    public void Step(double learningRate)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();   // disposes the gradient handles fetched here
        foreach (var (name, p) in parameters)
        {
            var grad = p.grad;
            if (grad is null) continue;
            if (Momentum == 0)
            {
                if (WeightDecay != 0) p.mul_(1 - learningRate * WeightDecay);
                p.add_(grad, alpha: -learningRate);
                continue;
            }
            // In place, without allocating g: b = (μ·b + ∇) + λ·p, PyTorch's sum up to float rounding.
            if (buffers.TryGetValue(name, out var b)) b.mul_(Momentum).add_(grad);
            else
            {
                b = grad.detach().clone().DetachFromDisposeScope();
                buffers[name] = b;
            }
            if (WeightDecay != 0) b.add_(p, alpha: WeightDecay);
            p.add_(b, alpha: -learningRate);
        }
    }

    /// <summary>Replaces the momentum buffers (from a checkpoint); unknown names are an error.</summary>
    public void LoadBuffers(IReadOnlyDictionary<string, Tensor> state)
    {
        var known = parameters.ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var (name, t) in state)
        {
            if (!known.TryGetValue(name, out var p)) throw new MaskbenchException($"checkpoint has a momentum buffer for unknown parameter '{name}'");
            if (!t.shape.SequenceEqual(p.shape)) throw new MaskbenchException(
                $"checkpoint momentum buffer '{name}' has shape [{string.Join(", ", t.shape)}], expected [{string.Join(", ", p.shape)}]");
            if (buffers.Remove(name, out var old)) old.Dispose();
            buffers[name] = t.to(p.device).clone().DetachFromDisposeScope();
        }
    }

    public void Dispose()
    {
        foreach (var b in buffers.Values) b.Dispose();
        buffers.Clear();
    }
}
