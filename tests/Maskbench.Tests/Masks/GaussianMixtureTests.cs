using Maskbench.Masks.ColorModel;

namespace Maskbench.Tests.Masks;

public class GaussianMixtureTests
{
    [Fact]
    public void One_component_is_the_regularised_sample_gaussian()
    {
        var random = new Random(1);
        int n = 500;
        var rgb = new byte[n * 3];
        for (int i = 0; i < n; i++)
        {
            double a = random.NextDouble(), b = random.NextDouble();
            rgb[i * 3] = (byte)(100 + 60 * a);
            rgb[i * 3 + 1] = (byte)(50 + 30 * a + 40 * b);
            rgb[i * 3 + 2] = (byte)(200 - 50 * b);
        }
        double reg = 4;
        var model = GaussianMixture.Fit(rgb, n, 1, new Random(2), 3, reg);

        // Closed form, written independently: mean, covariance (+ reg on the diagonal), then the log-density.
        var mean = new double[3];
        for (int i = 0; i < n; i++) for (int c = 0; c < 3; c++) mean[c] += rgb[i * 3 + c] / (double)n;
        var cov = new double[3, 3];
        for (int i = 0; i < n; i++)
            for (int r = 0; r < 3; r++)
                for (int c = 0; c < 3; c++) cov[r, c] += (rgb[i * 3 + r] - mean[r]) * (rgb[i * 3 + c] - mean[c]) / n;
        for (int c = 0; c < 3; c++) cov[c, c] += reg;
        var (inverse, det) = Invert(cov);
        foreach (var x in new[] { (130.0, 90.0, 180.0), (0.0, 0.0, 0.0), (150.0, 60.0, 199.0) })
        {
            double[] d = [x.Item1 - mean[0], x.Item2 - mean[1], x.Item3 - mean[2]];
            double q = 0;
            for (int r = 0; r < 3; r++) for (int c = 0; c < 3; c++) q += d[r] * inverse[r, c] * d[c];
            double expected = 0.5 * q + 0.5 * Math.Log(Math.Pow(2 * Math.PI, 3) * det);
            double actual = model.NegLogLikelihood(x.Item1, x.Item2, x.Item3);
            Assert.True(Math.Abs(expected - actual) < 1e-6 * Math.Max(1, Math.Abs(expected)), $"{x}: expected {expected}, got {actual}");
        }
    }

    static (double[,] Inverse, double Det) Invert(double[,] m)
    {
        // Gauss-Jordan elimination.
        var a = (double[,])m.Clone();
        var inv = new double[3, 3];
        for (int i = 0; i < 3; i++) inv[i, i] = 1;
        double det = 1;
        for (int col = 0; col < 3; col++)
        {
            int pivot = col;
            for (int r = col + 1; r < 3; r++) if (Math.Abs(a[r, col]) > Math.Abs(a[pivot, col])) pivot = r;
            if (pivot != col)
            {
                det = -det;
                for (int c = 0; c < 3; c++) { (a[col, c], a[pivot, c]) = (a[pivot, c], a[col, c]); (inv[col, c], inv[pivot, c]) =
                    (inv[pivot, c], inv[col, c]); }
            }
            double p = a[col, col];
            det *= p;
            for (int c = 0; c < 3; c++) { a[col, c] /= p; inv[col, c] /= p; }
            for (int r = 0; r < 3; r++)
            {
                if (r == col) continue;
                double f = a[r, col];
                for (int c = 0; c < 3; c++) { a[r, c] -= f * a[col, c]; inv[r, c] -= f * inv[col, c]; }
            }
        }
        return (inv, det);
    }

    [Fact]
    public void Two_clusters_are_both_modelled_and_fitting_is_deterministic()
    {
        var random = new Random(3);
        int n = 400;
        var rgb = new byte[n * 3];
        for (int i = 0; i < n; i++)
        {
            bool isRed = i % 4 != 0;   // 75% red, 25% white
            rgb[i * 3] = (byte)(isRed ? 200 + random.Next(10) : 240 + random.Next(10));
            rgb[i * 3 + 1] = (byte)(isRed ? 30 + random.Next(10) : 240 + random.Next(10));
            rgb[i * 3 + 2] = (byte)(isRed ? 30 + random.Next(10) : 240 + random.Next(10));
        }
        var a = GaussianMixture.Fit(rgb, n, 2, new Random(9));
        var b = GaussianMixture.Fit(rgb, n, 2, new Random(9));
        Assert.Equal(a.NegLogLikelihood(204, 34, 34), b.NegLogLikelihood(204, 34, 34));
        Assert.Equal([0.25, 0.75], a.Weights.Order().Select(w => Math.Round(w, 3)));
        double red = a.NegLogLikelihood(204, 34, 34), white = a.NegLogLikelihood(244, 244, 244), green = a.NegLogLikelihood(30, 200, 30);
        Assert.True(red < white && white < green - 50, $"red {red}, white {white}, green {green}");
    }

    [Fact]
    public void Fewer_samples_than_components_and_constant_colours_work()
    {
        var model = GaussianMixture.Fit(new byte[] { 10, 20, 30, 10, 20, 30 }, 2, 5, new Random(0));
        Assert.True(double.IsFinite(model.NegLogLikelihood(10, 20, 30)));
        Assert.True(model.NegLogLikelihood(10, 20, 30) < model.NegLogLikelihood(200, 20, 30));
    }
}
