namespace Maskbench.Masks.ColorModel;

/// <summary>
/// A Gaussian mixture over RGB colours (values 0..255) with full 3x3 covariances, the colour model of Boykov-Jolly
/// interactive segmentation and GrabCut (Rother, Kolmogorov and Blake, "GrabCut", SIGGRAPH 2004). Fitted by k-means++
/// seeding (Arthur and Vassilvitskii 2007) from a seeded <see cref="Random"/>, then a few rounds of EM; every
/// covariance gets <c>regularization</c> added to its diagonal so flat regions (a sign's uniform paint) stay
/// invertible. Immutable after fitting, so one instance may be read from many threads.
/// </summary>
public sealed class GaussianMixture
{
    readonly double[] _logWeightNorm;   // log(w_k) - 0.5 log((2 pi)^3 det S_k)
    readonly double[] _mean;            // K x 3
    readonly double[] _precision;       // K x 6: upper triangle of S_k^-1 (xx, xy, xz, yy, yz, zz)

    public int Components { get; }
    public IReadOnlyList<double> Weights { get; }

    GaussianMixture(double[] weights, double[] mean, double[] covariance)
    {
        Components = weights.Length;
        Weights = weights;
        _mean = mean;
        _precision = new double[Components * 6];
        _logWeightNorm = new double[Components];
        for (int k = 0; k < Components; k++)
        {
            var c = covariance.AsSpan(k * 6, 6);
            double a = c[0], b = c[1], d = c[2], e = c[3], f = c[4], g = c[5];   // [[a b d] [b e f] [d f g]]
            double c00 = e * g - f * f, c01 = d * f - b * g, c02 = b * f - d * e;
            double det = a * c00 + b * c01 + d * c02;
            var p = _precision.AsSpan(k * 6, 6);
            p[0] = c00 / det; p[1] = c01 / det; p[2] = c02 / det;
            p[3] = (a * g - d * d) / det; p[4] = (b * d - a * f) / det; p[5] = (a * e - b * b) / det;
            _logWeightNorm[k] = Math.Log(weights[k]) - 0.5 * (3 * Math.Log(2 * Math.PI) + Math.Log(det));
        }
    }

    /// <summary>
    /// Fits K components to <paramref name="count"/> colours stored as interleaved RGB bytes. Fewer distinct samples
    /// than K are fine (duplicate centres collapse into components of tiny weight).
    /// </summary>
    public static GaussianMixture Fit(ReadOnlySpan<byte> rgb, int count, int components, Random random, int emIterations = 3,
        double regularization = 9.0)
    {
        if (count <= 0) throw new ArgumentException("a colour model needs at least one sample", nameof(count));
        if (rgb.Length < count * 3) throw new ArgumentException($"{count} samples need {count * 3} bytes", nameof(rgb));
        ArgumentOutOfRangeException.ThrowIfLessThan(components, 1);
        int k = Math.Min(components, count);
        var x = new double[count * 3];
        for (int i = 0; i < x.Length; i++) x[i] = rgb[i];

        // k-means++ seeding: each next centre drawn with probability proportional to squared distance.
        var centre = new double[k * 3];
        var nearest = new double[count];
        int first = random.Next(count);
        for (int c = 0; c < 3; c++) centre[c] = x[first * 3 + c];
        Array.Fill(nearest, double.PositiveInfinity);
        for (int j = 1; j < k; j++)
        {
            double total = 0;
            for (int i = 0; i < count; i++)
            {
                nearest[i] = Math.Min(nearest[i], Distance2(x, i, centre, j - 1));
                total += nearest[i];
            }
            int pick = 0;
            if (total > 0)
            {
                double r = random.NextDouble() * total;
                for (pick = 0; pick < count - 1; pick++) { r -= nearest[pick]; if (r < 0) break; }
            }
            else pick = random.Next(count);
            for (int c = 0; c < 3; c++) centre[j * 3 + c] = x[pick * 3 + c];
        }

        // Hard assignment to the centres gives the first responsibilities; EM refines them.
        var resp = new double[count * k];
        for (int i = 0; i < count; i++)
        {
            int best = 0;
            double bestD = double.PositiveInfinity;
            for (int j = 0; j < k; j++) { double d = Distance2(x, i, centre, j); if (d < bestD) { bestD = d; best = j; } }
            resp[i * k + best] = 1;
        }
        var model = MStep(x, resp, count, k, regularization);
        for (int iteration = 0; iteration < emIterations; iteration++)
        {
            model.EStep(x, resp, count);
            model = MStep(x, resp, count, k, regularization);
        }
        return model;
    }

    static double Distance2(double[] x, int i, double[] centre, int j)
    {
        double dr = x[i * 3] - centre[j * 3], dg = x[i * 3 + 1] - centre[j * 3 + 1], db = x[i * 3 + 2] - centre[j * 3 + 2];
        return dr * dr + dg * dg + db * db;
    }

    static GaussianMixture MStep(double[] x, double[] resp, int count, int k, double regularization)
    {
        var weight = new double[k];
        var mean = new double[k * 3];
        var cov = new double[k * 6];
        for (int i = 0; i < count; i++)
        {
            double r = x[i * 3], g = x[i * 3 + 1], b = x[i * 3 + 2];
            for (int j = 0; j < k; j++)
            {
                double q = resp[i * k + j];
                if (q == 0) continue;
                weight[j] += q;
                mean[j * 3] += q * r; mean[j * 3 + 1] += q * g; mean[j * 3 + 2] += q * b;
                cov[j * 6] += q * r * r; cov[j * 6 + 1] += q * r * g; cov[j * 6 + 2] += q * r * b;
                cov[j * 6 + 3] += q * g * g; cov[j * 6 + 4] += q * g * b; cov[j * 6 + 5] += q * b * b;
            }
        }
        // Empty components are dropped so that no zero weight reaches the logarithm.
        var keep = Enumerable.Range(0, k).Where(j => weight[j] > 1e-9).ToArray();
        var w = new double[keep.Length];
        var m = new double[keep.Length * 3];
        var s = new double[keep.Length * 6];
        for (int t = 0; t < keep.Length; t++)
        {
            int j = keep[t];
            double n = weight[j];
            w[t] = n / count;
            double mr = mean[j * 3] / n, mg = mean[j * 3 + 1] / n, mb = mean[j * 3 + 2] / n;
            m[t * 3] = mr; m[t * 3 + 1] = mg; m[t * 3 + 2] = mb;
            s[t * 6] = cov[j * 6] / n - mr * mr + regularization;
            s[t * 6 + 1] = cov[j * 6 + 1] / n - mr * mg;
            s[t * 6 + 2] = cov[j * 6 + 2] / n - mr * mb;
            s[t * 6 + 3] = cov[j * 6 + 3] / n - mg * mg + regularization;
            s[t * 6 + 4] = cov[j * 6 + 4] / n - mg * mb;
            s[t * 6 + 5] = cov[j * 6 + 5] / n - mb * mb + regularization;
        }
        return new GaussianMixture(w, m, s);
    }

    void EStep(double[] x, double[] resp, int count)
    {
        int k = resp.Length / count;   // the original K; components dropped earlier get responsibility 0
        Span<double> log = stackalloc double[Components];
        for (int i = 0; i < count; i++)
        {
            double max = double.NegativeInfinity;
            for (int j = 0; j < Components; j++) { log[j] = LogComponent(j, x[i * 3], x[i * 3 + 1], x[i * 3 + 2]); max = Math.Max(max, log[j]); }
            double sum = 0;
            for (int j = 0; j < Components; j++) { log[j] = Math.Exp(log[j] - max); sum += log[j]; }
            for (int j = 0; j < k; j++) resp[i * k + j] = j < Components ? log[j] / sum : 0;
        }
    }

    double LogComponent(int j, double r, double g, double b)
    {
        double dr = r - _mean[j * 3], dg = g - _mean[j * 3 + 1], db = b - _mean[j * 3 + 2];
        var p = _precision.AsSpan(j * 6, 6);
        double q = p[0] * dr * dr + p[3] * dg * dg + p[5] * db * db + 2 * (p[1] * dr * dg + p[2] * dr * db + p[4] * dg * db);
        return _logWeightNorm[j] - 0.5 * q;
    }

    /// <summary>-log p(r, g, b) under the mixture (a density over the RGB cube, so it may be negative).</summary>
    public double NegLogLikelihood(double r, double g, double b)
    {
        double max = double.NegativeInfinity;
        Span<double> log = stackalloc double[Components];
        for (int j = 0; j < Components; j++) { log[j] = LogComponent(j, r, g, b); if (log[j] > max) max = log[j]; }
        double sum = 0;
        for (int j = 0; j < Components; j++) sum += Math.Exp(log[j] - max);
        return -(max + Math.Log(sum));
    }
}
