using static TorchSharp.torch;

namespace Maskbench.Attacks;

/// <summary>
/// Square Attack (Andriushchenko, Croce, Flammarion and Hein 2020): a score-based random search that uses logits
/// only, never gradients, and keeps a proposal when it lowers the margin z_y − max_{j≠y} z_j. The window side s
/// follows s² ≈ p_i·H·W, p_i halving on the paper's schedule.
/// L∞: starts from vertical stripes of ±ε; each proposal redraws one s×s window of δ to ±ε per channel.
/// L2: starts from a grid of <see cref="SquarePattern"/> tiles scaled to ‖δ‖₂ = ε; each proposal moves the mass of a
/// second window into the first (the second is zeroed, the first gets the pattern plus its old content, rescaled so
/// the window holds the freed budget) and rescales δ to the sphere of radius ε.
/// With a perturbation mask each window is placed to contain a randomly chosen mask pixel, so the search spends its
/// queries where δ may be non-zero, and δ is masked before it is scaled, so the budget goes to the foreground.
/// Every row draws from its own random stream, so a row's search does not depend on which other rows are active.
/// </summary>
public sealed class SquareAttack : Attack
{
    public override string Name => "square";
    /// <summary>AutoAttack's (standard version) query budget; Andriushchenko et al. 2020 report up to 10,000.</summary>
    public const int DefaultQueries = 5000;
    /// <summary>Queries per example.</summary>
    public int Steps { get; init; } = DefaultQueries;
    /// <summary>Initial fraction of pixels in a window (AutoAttack: 0.8).</summary>
    public double InitialFraction { get; init; } = 0.8;

    /// <summary>p at iteration <paramref name="iteration"/> of <paramref name="steps"/>: the schedule for 10000 queries, rescaled.</summary>
    public static double WindowFraction(double initial, int iteration, int steps)
    {
        int i = (int)(iteration / (double)steps * 10000);
        int halvings = i <= 10 ? 0 : i <= 50 ? 1 : i <= 200 ? 2 : i <= 500 ? 3 : i <= 1000 ? 4 : i <= 2000 ? 5 : i <= 4000 ? 6 : i <= 6000 ? 7
            : i <= 8000 ? 8 : 9;
        return initial / (1 << halvings);
    }

    protected override void Search(AttackContext context)
    {
        using var set = context.Begin();
        if (set.IsEmpty) return;
        RowTensor x = set.Track("x"), best = set.Track("margin");
        var search = new SearchState(context, Steps, InitialFraction);
        bool linf = context.Threat.Norm == Norm.Linf;
        // Iteration 0 is the start, taken as it is; later iterations are proposals, kept where they lower the margin.
        for (int iteration = 0; iteration <= Steps && !set.IsEmpty; iteration++)
        {
            Tensor newly;
            using (var scope = NewDisposeScope())
            {
                var rows = set.Rows.cpu().data<long>().ToArray();
                var candidate = (linf, iteration) switch
                {
                    (true, 0) => search.LinfStart(set, rows),
                    (true, _) => search.LinfProposal(set, x, rows, iteration),
                    (false, 0) => search.L2Start(set, rows),
                    (false, _) => search.L2Proposal(set, x, rows, iteration),
                };
                var (logits, fooled) = context.Evaluate(set, candidate, step: iteration);
                var margin = AttackObjectives.Margin(logits, set.Labels);
                if (iteration == 0)
                {
                    x.Value = candidate;
                    best.Value = margin;
                }
                else
                {
                    var accept = margin.lt(best.Value);
                    x.Value = where(accept.reshape(-1, 1, 1, 1), candidate, x.Value);
                    best.Value = where(accept, margin, best.Value);
                }
                newly = fooled.MoveToOuterDisposeScope();
            }
            set.DropIfEarlyStop(newly);
            newly.Dispose();
        }
    }

    /// <summary>
    /// What one run of the search draws from: the image geometry, ε, the pixels each row's mask lets move, and one
    /// random stream per row of the batch (so a row's search does not depend on which other rows are active).
    /// </summary>
    sealed class SearchState
    {
        readonly int steps, channels, height, width;
        readonly double eps, initialFraction;
        readonly int[]?[] allowed;
        readonly Random[] streams;

        public SearchState(AttackContext context, int steps, double initialFraction)
        {
            this.steps = steps;
            this.initialFraction = initialFraction;
            channels = (int)context.Inputs.shape[1];
            height = (int)context.Inputs.shape[2];
            width = (int)context.Inputs.shape[3];
            eps = context.Threat.Epsilon;
            long n = context.BatchSize;
            allowed = AllowedPixels(context.Threat.Mask, n, height, width);
            streams = new Random[n];
            for (int i = 0; i < n; i++) streams[i] = new Random(unchecked(context.Seed * 7919 + i * 104729 + 17));
        }

        double Fraction(int iteration) => WindowFraction(initialFraction, iteration - 1, steps);

        void Signs(Random rng, float[] into, int offset)
        {
            for (int c = 0; c < channels; c++) into[offset + c] = rng.Next(2) == 0 ? -1f : 1f;
        }

        Tensor PerRowSigns(float[] signs, int rows, ActiveSet set) => tensor(signs).reshape(rows, channels, 1, 1).to(set.Inputs.device);

        Tensor PerRowPlane(float[] values, int rows, ActiveSet set) => tensor(values).reshape(rows, 1, height, width).to(set.Inputs.device);

        /// <summary>L∞ start: vertical stripes of ±ε, one sign per row, channel and column.</summary>
        public Tensor LinfStart(ActiveSet set, long[] rows)
        {
            var stripes = new float[rows.Length * channels * width];
            for (int r = 0; r < rows.Length; r++)
                for (int j = 0; j < channels * width; j++) stripes[r * channels * width + j] = streams[rows[r]].Next(2) == 0 ? -1f : 1f;
            var delta = tensor(stripes).reshape(rows.Length, channels, 1, width).expand(rows.Length, channels, height, width) * eps;
            return set.Threat.Project(set.Inputs + delta.to(set.Inputs.device), set.Inputs);
        }

        /// <summary>L∞ proposal: one s×s window of δ redrawn to ±ε, one sign per channel.</summary>
        public Tensor LinfProposal(ActiveSet set, Tensor iterate, long[] rows, int iteration)
        {
            int s = Math.Clamp((int)Math.Round(Math.Sqrt(Fraction(iteration) * height * width)), 1, Math.Max(1, Math.Min(height, width) - 1));
            var windows = new float[rows.Length * height * width];
            var signs = new float[rows.Length * channels];
            for (int r = 0; r < rows.Length; r++)
            {
                var rng = streams[rows[r]];
                Signs(rng, signs, r * channels);
                if (PlaceWindow(rng, allowed[rows[r]], s, height, width) is not var (top, left)) continue;   // nothing may move
                for (int yy = top; yy < top + s; yy++)
                    for (int xx = left; xx < left + s; xx++) windows[(r * height + yy) * width + xx] = 1f;
            }
            var window = PerRowPlane(windows, rows.Length, set);
            var sign = PerRowSigns(signs, rows.Length, set);
            var delta = iterate - set.Inputs;
            return set.Threat.Project(set.Inputs + delta * (1 - window) + sign * window * eps, set.Inputs);
        }

        /// <summary>
        /// L2 start: a centred grid of tiles of side min(H, W)/5, each the pattern with one random sign per channel, on the ε-sphere.
        /// </summary>
        public Tensor L2Start(ActiveSet set, long[] rows)
        {
            int tile = Math.Max(1, Math.Min(height, width) / 5);
            int tilesDown = height / tile, tilesAcross = width / tile;
            int top0 = (height - tilesDown * tile) / 2, left0 = (width - tilesAcross * tile) / 2;
            var pattern = SquarePattern.Create(tile, transpose: false);
            var start = new float[rows.Length * channels * height * width];
            for (int r = 0; r < rows.Length; r++)
            {
                var rng = streams[rows[r]];
                for (int ty = 0; ty < tilesDown; ty++)
                    for (int tx = 0; tx < tilesAcross; tx++)
                        for (int c = 0; c < channels; c++)
                        {
                            float sign = rng.Next(2) == 0 ? -1f : 1f;
                            for (int y = 0; y < tile; y++)
                                for (int x = 0; x < tile; x++)
                                    start[((r * channels + c) * height + top0 + ty * tile + y) * width + left0 + tx * tile + x] = sign
                                        * pattern[y * tile + x];
                        }
            }
            var delta = tensor(start).reshape(rows.Length, channels, height, width).to(set.Inputs.device);
            return set.Threat.Project(set.Inputs + OnSphere(delta, set.Threat.Mask, eps), set.Inputs);
        }

        /// <summary>
        /// L2 proposal: a second window's mass moves into the first (the second is zeroed; the first gets the pattern
        /// with random signs per channel plus its old content, scaled to hold the freed budget), then δ goes back on
        /// the ε-sphere. s is odd and at least 3.
        /// </summary>
        public Tensor L2Proposal(ActiveSet set, Tensor iterate, long[] rows, int iteration)
        {
            int s = Math.Max((int)Math.Round(Math.Sqrt(Fraction(iteration) * height * width)), 3);
            if (s % 2 == 0) s++;
            s = Math.Min(s, Math.Min(height, width));
            var first = new float[rows.Length * height * width];
            var second = new float[rows.Length * height * width];
            var bump = new float[rows.Length * height * width];
            var signs = new float[rows.Length * channels];
            for (int r = 0; r < rows.Length; r++)
            {
                var rng = streams[rows[r]];
                Signs(rng, signs, r * channels);
                var pattern = SquarePattern.Create(s, transpose: rng.Next(2) == 0);
                if (PlaceWindow(rng, allowed[rows[r]], s, height, width) is not var (top, left)) continue;   // nothing may move
                var (top2, left2) = PlaceWindow(rng, allowed[rows[r]], s, height, width)!.Value;
                for (int y = 0; y < s; y++)
                    for (int x = 0; x < s; x++)
                    {
                        first[(r * height + top + y) * width + left + x] = 1f;
                        bump[(r * height + top + y) * width + left + x] = pattern[y * s + x];
                        second[(r * height + top2 + y) * width + left2 + x] = 1f;
                    }
            }
            var window = PerRowPlane(first, rows.Length, set);
            var both = maximum(window, PerRowPlane(second, rows.Length, set));
            var sign = PerRowSigns(signs, rows.Length, set);
            var delta = iterate - set.Inputs;
            var inWindow = delta * window;
            var windowNorm = inWindow.square().sum([2, 3], keepdim: true).sqrt();                 // per channel
            var imageNorm = delta.square().sum([1, 2, 3], keepdim: true);                        // squared, per row
            var bothNorm = (delta * both).square().sum([1, 2, 3], keepdim: true);               // squared, per row
            var content = PerRowPlane(bump, rows.Length, set) * sign + inWindow / (windowNorm + 1e-12);
            var budget = ((eps * eps - imageNorm).clamp_min(0) / channels + bothNorm).sqrt();
            content = content / (content.square().sum([2, 3], keepdim: true).sqrt() + 1e-12) * budget;
            var moved = delta * (1 - both) + content;
            return set.Threat.Project(set.Inputs + OnSphere(moved, set.Threat.Mask, eps), set.Inputs);
        }
    }

    /// <summary>
    /// A window's top-left corner for side <paramref name="s"/>: uniform over the image, or (with a mask) uniform among
    /// the positions whose window contains a pixel drawn from the allowed ones. Null when no pixel may move.
    /// </summary>
    static (int Top, int Left)? PlaceWindow(Random rng, int[]? pixels, int s, int height, int width)
    {
        if (pixels is { Length: 0 }) return null;
        if (pixels is null) return (rng.Next(height - s + 1), rng.Next(width - s + 1));
        int pixel = pixels[rng.Next(pixels.Length)], py = pixel / width, px = pixel % width;
        return (rng.Next(Math.Max(0, py - s + 1), Math.Min(py, height - s) + 1), rng.Next(Math.Max(0, px - s + 1), Math.Min(px, width - s) + 1));
    }

    /// <summary>δ masked (where a mask is given) and scaled to L2 norm ε per row; rows with nothing left stay zero.</summary>
    static Tensor OnSphere(Tensor delta, Tensor? mask, double eps)
    {
        var masked = mask is null ? delta : delta * mask;
        var norm = masked.square().sum([1, 2, 3], keepdim: true).sqrt();
        return masked * (eps / norm.clamp_min(1e-12)) * norm.gt(0);
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
