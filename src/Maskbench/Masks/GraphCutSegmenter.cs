using Maskbench.Data;
using Maskbench.Masks.ColorModel;
using Maskbench.Masks.MaxFlow;

namespace Maskbench.Masks;

/// <summary>
/// The paper's GTSRB mask generator ("random sampling of pixels near the center of the image along with a min
/// cut-max flow algorithm"), made concrete after Boykov and Jolly (ICCV 2001) and GrabCut (Rother et al. 2004):
/// <list type="number">
/// <item>foreground seeds drawn at random in a central ellipse of the sign box, background seeds on the image border
/// (GTSRB keeps a margin of about 10% around each sign); both are hard constraints;</item>
/// <item>Gaussian-mixture colour models, foreground from the centre of the box, background from the border;</item>
/// <item>unary costs -log p(colour | model), contrast-sensitive pairwise costs
/// <c>smoothness * exp(-beta ||Ip - Iq||^2) / dist(p, q)</c> with <c>beta = 1 / (2 mean ||Ip - Iq||^2)</c>;</item>
/// <item>a minimum cut (<see cref="GridGraph"/>), then a few GrabCut rounds refitting both models on the labels;</item>
/// <item>the CSV's ROI, when given, as a constraint (pixels outside it are background) or a prior (they cost
/// <see cref="SegmenterOptions.OutsideRoiCost"/> as foreground); a location prior favours the ellipse inscribed in the
/// sign box;</item>
/// <item>clean-up: the largest 4-connected component with its holes filled.</item>
/// </list>
/// Large images are cut at <see cref="SegmenterOptions.WorkingSize"/> and the mask is scaled back. The result depends
/// only on the image, the ROI, the options and the seed; the segmenter holds no mutable state, so one instance may
/// serve many threads.
/// </summary>
public sealed class GraphCutSegmenter
{
    /// <summary>Capacity of a hard constraint: larger than any cut through smoothness and unary terms.</summary>
    const double HardCapacity = 1e12;

    public SegmenterOptions Options { get; }

    public GraphCutSegmenter(SegmenterOptions? options = null)
    {
        Options = options ?? SegmenterOptions.Default;
        Options.Validate();
    }

    public BinaryMask Segment(RgbImage image, int seed, RoiBox? roi = null) => Segment(image, seed, roi, out _);

    /// <summary>As <see cref="Segment(RgbImage, int, RoiBox?)"/>, also returning the time spent in max-flow.</summary>
    public BinaryMask Segment(RgbImage image, int seed, RoiBox? roi, out TimeSpan maxFlowTime)
    {
        ArgumentNullException.ThrowIfNull(image);
        var o = Options;
        var (w, h) = WorkingResolution.Size(image.Width, image.Height, o.WorkingSize);
        byte[] pixels = WorkingResolution.Downscale(image, w, h);
        int n = w * h;
        var random = new Random(seed);

        // Where the sign is expected (working-resolution pixels, inclusive), and which pixels lie outside the ROI.
        bool[]? outsideRoi = null;
        double bx0, by0, bx1, by1;
        if (roi is { } r)
        {
            double sx = (double)w / image.Width, sy = (double)h / image.Height;
            bx0 = r.X1 * sx; by0 = r.Y1 * sy; bx1 = (r.X2 + 1) * sx; by1 = (r.Y2 + 1) * sy;
            outsideRoi = new bool[n];
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    // A working pixel is outside when its centre is.
                    double cx = x + 0.5, cy = y + 0.5;
                    outsideRoi[y * w + x] = cx < bx0 || cx > bx1 || cy < by0 || cy > by1;
                }
        }
        else
        {
            bx0 = w * o.MarginFraction; by0 = h * o.MarginFraction; bx1 = w - bx0; by1 = h - by0;
        }
        double centreX = (bx0 + bx1) / 2, centreY = (by0 + by1) / 2;
        double halfW = Math.Max(0.5, (bx1 - bx0) / 2), halfH = Math.Max(0.5, (by1 - by0) / 2);

        // Hard constraints: 1 foreground, 2 background, 0 free.
        var hard = new byte[n];
        int border = Math.Max(1, (int)Math.Round(o.BorderFraction * Math.Min(w, h)));
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                if (x < border || y < border || x >= w - border || y >= h - border) hard[y * w + x] = 2;
        bool forceOutside = o.ForceBackgroundOutsideRoi;
        if (outsideRoi is not null && forceOutside)
            for (int p = 0; p < n; p++) if (outsideRoi[p]) hard[p] = 2;
        int placed = 0;
        for (int attempt = 0; attempt < o.ForegroundSeedCount * 20 && placed < o.ForegroundSeedCount; attempt++)
        {
            // Uniform in the ellipse: radius sqrt(u) scaled by the ellipse's half-axes.
            double angle = random.NextDouble() * 2 * Math.PI, radius = Math.Sqrt(random.NextDouble()) * o.ForegroundSeedRadius;
            int x = (int)Math.Floor(centreX + radius * halfW * Math.Cos(angle));
            int y = (int)Math.Floor(centreY + radius * halfH * Math.Sin(angle));
            if (x < 0 || y < 0 || x >= w || y >= h) continue;
            hard[y * w + x] = 1;   // the centre wins over a border that reaches it in tiny images
            placed++;
        }
        // The pixel at the centre is always a seed, so the mask is never empty.
        hard[Math.Clamp((int)centreY, 0, h - 1) * w + Math.Clamp((int)centreX, 0, w - 1)] = 1;

        // First colour models: foreground from the central ellipse, background from the hard background.
        var labels = new byte[n];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                double ex = (x + 0.5 - centreX) / (halfW * o.ForegroundModelRadius), ey = (y + 0.5 - centreY) / (halfH * o.ForegroundModelRadius);
                int p = y * w + x;
                labels[p] = hard[p] == 1 || (hard[p] == 0 && ex * ex + ey * ey <= 1) ? (byte)1 : (byte)0;
            }
        var grid = ThreadGrid(w, h, o.Connectivity);
        SetSmoothness(grid, pixels, w, h, o);
        var flowClock = new System.Diagnostics.Stopwatch();
        var foregroundCost = new double[n];
        var backgroundCost = new double[n];
        var insideEllipse = new bool[n];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                double ex = (x + 0.5 - centreX) / halfW, ey = (y + 0.5 - centreY) / halfH;
                insideEllipse[y * w + x] = ex * ex + ey * ey <= 1;
            }
        bool fromModelRegion = true;

        for (int round = 0; round <= o.ReestimationRounds; round++)
        {
            var fg = FitModel(pixels, labels, 1, hard, fromModelRegion, random, o);
            var bg = FitModel(pixels, labels, 0, hard, fromModelRegion, random, o);
            if (fg is null || bg is null) break;
            fromModelRegion = false;
            for (int p = 0; p < n; p++)
            {
                int i = p * 3;
                foregroundCost[p] = fg.NegLogLikelihood(pixels[i], pixels[i + 1], pixels[i + 2]);
                backgroundCost[p] = bg.NegLogLikelihood(pixels[i], pixels[i + 1], pixels[i + 2]);
                if (outsideRoi is not null && !forceOutside && outsideRoi[p]) foregroundCost[p] += o.OutsideRoiCost;
                if (insideEllipse[p]) backgroundCost[p] += o.CentrePrior; else foregroundCost[p] += o.CentrePrior;
                // Source side = foreground: the source arc is cut (paid) when p is labelled background.
                double source = hard[p] switch { 1 => HardCapacity, 2 => 0, _ => Math.Max(0, backgroundCost[p] - foregroundCost[p]) };
                double sink = hard[p] switch { 1 => 0, 2 => HardCapacity, _ => Math.Max(0, foregroundCost[p] - backgroundCost[p]) };
                grid.SetTerminalWeights(p, source, sink);
            }
            flowClock.Start();
            grid.MaxFlow();
            flowClock.Stop();
            for (int p = 0; p < n; p++) labels[p] = grid.IsSourceSide(p) ? (byte)1 : (byte)0;
        }
        maxFlowTime = flowClock.Elapsed;

        if (o.KeepLargestComponent) MaskCleanup.KeepLargestComponent(labels, w, h);
        if (o.FillHoles) MaskCleanup.FillHoles(labels, w, h);
        var values = WorkingResolution.UpscaleLabels(labels, w, h, image.Width, image.Height);
        if (roi is { } box && forceOutside)
            for (int y = 0; y < image.Height; y++)
                for (int x = 0; x < image.Width; x++)
                    if (!box.Contains(x, y)) values[y * image.Width + x] = 0;
        return new BinaryMask(image.Width, image.Height, values);
    }

    /// <summary>
    /// Each thread keeps one grid per connectivity and reshapes it per image: graphs of GTSRB images would otherwise
    /// allocate several large-object-heap arrays per mask. Per-thread, so instances stay free of shared state.
    /// </summary>
    [ThreadStatic] static GridGraph?[]? t_grids;

    static GridGraph ThreadGrid(int w, int h, int connectivity)
    {
        var grids = t_grids ??= new GridGraph?[2];
        int k = connectivity == 4 ? 0 : 1;
        if (grids[k] is { } grid) grid.Reshape(w, h);
        else grids[k] = grid = new GridGraph(w, h, connectivity);
        return grid;
    }

    /// <summary>Contrast-sensitive pairwise capacities (the same in both directions).</summary>
    static void SetSmoothness(GridGraph grid, byte[] pixels, int w, int h, SegmenterOptions o)
    {
        ReadOnlySpan<(GridNeighbour Neighbour, int Dx, int Dy, double Distance)> neighbours =
        [
            (GridNeighbour.Right, 1, 0, 1), (GridNeighbour.Down, 0, 1, 1),
            (GridNeighbour.DownRight, 1, 1, Math.Sqrt(2)), (GridNeighbour.DownLeft, -1, 1, Math.Sqrt(2)),
        ];
        int count = o.Connectivity / 2;
        double total = 0;
        long pairs = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int k = 0; k < count; k++)
                {
                    int nx = x + neighbours[k].Dx, ny = y + neighbours[k].Dy;
                    if (nx < 0 || nx >= w || ny >= h) continue;
                    total += ColourDistance2(pixels, y * w + x, ny * w + nx);
                    pairs++;
                }
        double beta = total > 0 ? pairs / (2 * total) : 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int k = 0; k < count; k++)
                {
                    int nx = x + neighbours[k].Dx, ny = y + neighbours[k].Dy;
                    if (nx < 0 || nx >= w || ny >= h) continue;
                    int p = y * w + x;
                    double weight = o.Smoothness * Math.Exp(-beta * ColourDistance2(pixels, p, ny * w + nx)) / neighbours[k].Distance;
                    grid.SetEdge(p, neighbours[k].Neighbour, weight, weight);
                }
    }

    static double ColourDistance2(byte[] pixels, int p, int q)
    {
        int dr = pixels[p * 3] - pixels[q * 3], dg = pixels[p * 3 + 1] - pixels[q * 3 + 1], db = pixels[p * 3 + 2] - pixels[q * 3 + 2];
        return dr * dr + dg * dg + db * db;
    }

    /// <summary>
    /// Fits the colour model of label <paramref name="label"/> on at most <see cref="SegmenterOptions.ColourSamples"/>
    /// of its pixels, drawn at random; null when the label has no pixel. In the first round the foreground comes from
    /// the central ellipse and the background only from the hard background (the border and outside the ROI).
    /// </summary>
    static GaussianMixture? FitModel(byte[] pixels, byte[] labels, byte label, byte[] hard, bool firstRound, Random random, SegmenterOptions o)
    {
        int n = labels.Length;
        var members = new List<int>(n);
        for (int p = 0; p < n; p++)
        {
            bool member = firstRound && label == 0 ? hard[p] == 2 : labels[p] == label;
            if (member) members.Add(p);
        }
        if (members.Count == 0) return null;
        int take = Math.Min(o.ColourSamples, members.Count);
        // A partial Fisher-Yates shuffle picks `take` distinct members.
        for (int i = 0; i < take; i++)
        {
            int j = i + random.Next(members.Count - i);
            (members[i], members[j]) = (members[j], members[i]);
        }
        var rgb = new byte[take * 3];
        for (int i = 0; i < take; i++)
        {
            int p = members[i];
            rgb[i * 3] = pixels[p * 3]; rgb[i * 3 + 1] = pixels[p * 3 + 1]; rgb[i * 3 + 2] = pixels[p * 3 + 2];
        }
        return GaussianMixture.Fit(rgb, take, o.Components, random, o.EmIterations, o.CovarianceRegularization);
    }
}
