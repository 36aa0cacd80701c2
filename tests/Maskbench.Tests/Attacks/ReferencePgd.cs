using TorchSharp;
using static TorchSharp.torch;

namespace Maskbench.Tests.Attacks;

/// <summary>
/// A deliberately plain L∞ PGD for comparison: one loop, the whole batch every step, no random start, gradients by
/// backward() on a leaf input, projection by float32 clamps. It keeps, per example, the first iterate that fools the
/// model or else the iterate with the smallest margin — the rule the library documents.
/// </summary>
internal static class ReferencePgd
{
    public static (Tensor Adversarial, bool[] Fooled) Run(nn.Module<Tensor, Tensor> model, Tensor x, Tensor y, double eps, double alpha, int steps,
        Tensor? mask)
    {
        model.eval();
        int n = (int)x.shape[0];
        var best = x.clone();
        var bestMargin = Enumerable.Repeat(double.PositiveInfinity, n).ToArray();
        var fooled = new bool[n];
        var current = x.clone();
        var labels = y.data<long>().ToArray();
        for (int k = 0; k <= steps; k++)
        {
            var leaf = current.detach().requires_grad_(true);
            var logits = model.call(leaf);
            var z = logits.detach();
            for (int i = 0; i < n; i++)
            {
                var row = z[i].data<float>().ToArray();
                double own = row[labels[i]], other = double.NegativeInfinity;
                int argmax = 0;
                for (int j = 0; j < row.Length; j++)
                {
                    if (row[j] > row[argmax]) argmax = j;
                    if (j != labels[i]) other = Math.Max(other, row[j]);
                }
                double margin = own - other;
                if (fooled[i]) continue;
                if (argmax != labels[i] || margin < bestMargin[i])
                {
                    best[i] = current[i];
                    bestMargin[i] = margin;
                }
                if (argmax != labels[i]) fooled[i] = true;
            }
            if (k == steps) break;
            var loss = nn.functional.cross_entropy(logits, y, reduction: nn.Reduction.Sum);
            loss.backward();
            var step = leaf.grad!.sign() * alpha;
            if (mask is not null) step = step * mask;
            var next = torch.minimum(torch.maximum(current + step, x - eps), x + eps).clamp(0, 1);
            current = next.detach();
        }
        return (best, fooled);
    }
}
