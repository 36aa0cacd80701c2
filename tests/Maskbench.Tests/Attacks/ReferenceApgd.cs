using Maskbench.Attacks;
using TorchSharp;
using static TorchSharp.torch;

namespace Maskbench.Tests.Attacks;

/// <summary>
/// APGD-CE written straight from Algorithm 1 of Croce and Hein 2020 for comparison: the whole batch every step, no
/// active sets, checkpoints from the p-recursion in doubles. It keeps per example the first fooling iterate or else
/// the smallest-margin one (the library's documented rule). Projection is the library's (tested on its own).
/// </summary>
internal static class ReferenceApgd
{
    public static (Tensor Kept, bool[] Fooled) Run(nn.Module<Tensor, Tensor> model, Tensor x, Tensor y, ThreatModel threat, Tensor start, int steps)
    {
        model.eval();
        int n = (int)x.shape[0];
        var checkpoints = new HashSet<int>();
        double pPrev = 0, p = 0.22;
        while (Math.Ceiling(p * steps - 1e-9) < steps)
        {
            checkpoints.Add((int)Math.Ceiling(p * steps - 1e-9));
            (pPrev, p) = (p, p + Math.Max(p - pPrev - 0.03, 0.06));
        }
        var kept = x.clone();
        var keptMargin = Enumerable.Repeat(double.PositiveInfinity, n).ToArray();
        var fooled = new bool[n];
        void Observe(Tensor point, Tensor logits)
        {
            var margin = AttackObjectives.Margin(logits, y).data<float>().ToArray();
            var wrong = logits.argmax(1).ne(y).data<bool>().ToArray();
            for (int i = 0; i < n; i++)
            {
                if (fooled[i]) continue;
                if (wrong[i] || margin[i] < keptMargin[i]) { kept[i] = point[i]; keptMargin[i] = margin[i]; }
                fooled[i] = wrong[i];
            }
        }
        (Tensor G, Tensor F) Gradient(Tensor point)
        {
            var leaf = point.detach().requires_grad_(true);
            var logits = model.call(leaf);
            var f = nn.functional.cross_entropy(logits, y, reduction: nn.Reduction.None);
            var g = autograd.grad(new[] { f.sum() }, new[] { leaf })[0];
            Observe(point, logits.detach());
            return (g, f.detach());
        }

        var eta = full(new long[] { n, 1, 1, 1 }, 2 * threat.Epsilon);
        var (g0, f0) = Gradient(start);
        Tensor xmax = start, gmax = g0, fmax = f0, fLast = f0, fmaxAtCheck = f0, etaAtCheck = eta;
        var count = zeros(n);
        int lastCheck = 0;
        Tensor prev = start, current = threat.Project(start + eta * g0.sign(), x);
        for (int k = 1; k < steps; k++)
        {
            var (g, f) = Gradient(current);
            count = count + f.gt(fLast).to_type(ScalarType.Float32);
            fLast = f;
            var up = f.gt(fmax);
            var up4 = up.reshape(-1, 1, 1, 1);
            xmax = where(up4, current, xmax);
            gmax = where(up4, g, gmax);
            fmax = where(up, f, fmax);
            if (checkpoints.Contains(k))
            {
                var condition1 = count.lt(0.75 * (k - lastCheck));
                var condition2 = etaAtCheck.flatten().eq(eta.flatten()).logical_and(fmaxAtCheck.eq(fmax));
                var halve = condition1.logical_or(condition2).reshape(-1, 1, 1, 1);
                etaAtCheck = eta;
                fmaxAtCheck = fmax;
                eta = where(halve, eta / 2, eta);
                current = where(halve, xmax, current);
                g = where(halve, gmax, g);
                prev = where(halve, xmax, prev);
                count = zeros(n);
                lastCheck = k;
            }
            var z = threat.Project(current + eta * g.sign(), x);
            var next = threat.Project(current + 0.75 * (z - current) + 0.25 * (current - prev), x);
            prev = current;
            current = next;
        }
        using (no_grad()) Observe(current, model.call(current));
        return (kept, fooled);
    }
}
