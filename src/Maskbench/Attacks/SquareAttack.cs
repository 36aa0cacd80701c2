using static TorchSharp.torch;

namespace Maskbench.Attacks;

/// <summary>
/// Square Attack, L∞ (Andriushchenko, Croce, Flammarion and Hein 2020): a score-based random search that uses logits
/// only, never gradients. It starts from vertical stripes of ±ε, then at iteration i redraws one s×s window of δ to
/// ±ε per channel (s² ≈ p_i·H·W, p_i halving on the paper's schedule) and keeps the change if the margin
/// z_y − max_{j≠y} z_j drops. With a perturbation mask each window is placed to contain a randomly chosen mask pixel,
/// so the search spends its queries where δ may be non-zero (the projection zeroes the rest).
/// </summary>
public sealed class SquareAttack : Attack
{
    public override string Name => "square";
    /// <summary>Queries per example (AutoAttack uses 5000).</summary>
    public int Steps { get; init; } = 1000;
    /// <summary>Initial fraction of pixels in a window (AutoAttack: 0.8).</summary>
    public double InitialFraction { get; init; } = 0.8;

    /// <summary>p at iteration <paramref name="iteration"/> of <paramref name="steps"/>: the schedule for 10000 queries, rescaled.</summary>
    public static double WindowFraction(double initial, int iteration, int steps)
    {
        int i = (int)(iteration / (double)steps * 10000);
        int halvings = i <= 10 ? 0 : i <= 50 ? 1 : i <= 200 ? 2 : i <= 500 ? 3 : i <= 1000 ? 4 : i <= 2000 ? 5 : i <= 4000 ? 6 : i <= 6000 ? 7 : i <= 8000 ? 8 : 9;
        return initial / (1 << halvings);
    }

    protected override void Search(AttackContext context)
    {
        if (context.Threat.Norm != Norm.Linf) throw new MaskbenchException("square attack is implemented for the L∞ threat model only");
        using var set = context.Begin();
        if (set.IsEmpty) return;
        long n = context.BatchSize;
        int channels = (int)context.Inputs.shape[1], height = (int)context.Inputs.shape[2], width = (int)context.Inputs.shape[3];
        var allowed = AllowedPixels(context.Threat.Mask, n, height, width);
        // One random stream per row of the batch: a row's search does not depend on which other rows are active.
        var streams = new Random[n];
        for (int i = 0; i < n; i++) streams[i] = new Random(unchecked(context.Seed * 7919 + i * 104729 + 17));
        double eps = context.Threat.Epsilon;

        Tensor newly;
        using (var scope = NewDisposeScope())
        {
            var rows = set.Rows.cpu().data<long>().ToArray();
            var stripes = new float[rows.Length * channels * width];
            for (int r = 0; r < rows.Length; r++)
                for (int j = 0; j < channels * width; j++) stripes[r * channels * width + j] = streams[rows[r]].Next(2) == 0 ? -1f : 1f;
            var delta = tensor(stripes).reshape(rows.Length, channels, 1, width).expand(rows.Length, channels, height, width) * eps;
            set["x"] = set.Threat.Project(set.Inputs + delta.to(set.Inputs.device), set.Inputs);
            var (logits, fooled) = context.Evaluate(set, set["x"], step: 0);
            set["margin"] = AttackObjectives.Margin(logits, set.Labels);
            newly = fooled.MoveToOuterDisposeScope();
        }
        set.DropIfEarlyStop(newly);
        newly.Dispose();

        for (int iteration = 1; iteration <= Steps && !set.IsEmpty; iteration++)
        {
            double p = WindowFraction(InitialFraction, iteration - 1, Steps);
            int s = Math.Clamp((int)Math.Round(Math.Sqrt(p * height * width)), 1, Math.Max(1, Math.Min(height, width) - 1));
            using (var scope = NewDisposeScope())
            {
                var rows = set.Rows.cpu().data<long>().ToArray();
                var windows = new float[rows.Length * height * width];
                var signs = new float[rows.Length * channels];
                for (int r = 0; r < rows.Length; r++)
                {
                    var rng = streams[rows[r]];
                    for (int c = 0; c < channels; c++) signs[r * channels + c] = rng.Next(2) == 0 ? -1f : 1f;
                    var pixels = allowed[rows[r]];
                    if (pixels is { Length: 0 }) continue;   // nothing may move
                    int top, left;
                    if (pixels is null)
                    {
                        top = rng.Next(height - s + 1);
                        left = rng.Next(width - s + 1);
                    }
                    else
                    {
                        int pixel = pixels[rng.Next(pixels.Length)], py = pixel / width, px = pixel % width;
                        top = rng.Next(Math.Max(0, py - s + 1), Math.Min(py, height - s) + 1);
                        left = rng.Next(Math.Max(0, px - s + 1), Math.Min(px, width - s) + 1);
                    }
                    for (int yy = top; yy < top + s; yy++)
                        for (int xx = left; xx < left + s; xx++) windows[(r * height + yy) * width + xx] = 1f;
                }
                var device = set.Inputs.device;
                var window = tensor(windows).reshape(rows.Length, 1, height, width).to(device);
                var sign = tensor(signs).reshape(rows.Length, channels, 1, 1).to(device);
                var delta = set["x"] - set.Inputs;
                var proposal = set.Threat.Project(set.Inputs + delta * (1 - window) + sign * window * eps, set.Inputs);
                var (logits, fooled) = context.Evaluate(set, proposal, step: iteration);
                var margin = AttackObjectives.Margin(logits, set.Labels);
                var accept = margin.lt(set["margin"]);
                set["x"] = where(accept.reshape(-1, 1, 1, 1), proposal, set["x"]);
                set["margin"] = where(accept, margin, set["margin"]);
                newly = fooled.MoveToOuterDisposeScope();
            }
            set.DropIfEarlyStop(newly);
            newly.Dispose();
        }
    }

    /// <summary>Per row, the flat indices of pixels the mask lets move (null: every pixel).</summary>
    static int[]?[] AllowedPixels(Tensor? mask, long n, int height, int width)
    {
        var result = new int[]?[n];
        if (mask is null) return result;
        var values = mask.reshape(n, height * width).gt(0).cpu().data<bool>().ToArray();
        for (int i = 0; i < n; i++)
        {
            var list = new List<int>();
            for (int j = 0; j < height * width; j++) if (values[i * height * width + j]) list.Add(j);
            result[i] = list.ToArray();
        }
        return result;
    }
}
