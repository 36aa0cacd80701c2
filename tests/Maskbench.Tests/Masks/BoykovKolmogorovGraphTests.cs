using Maskbench.Masks.MaxFlow;

namespace Maskbench.Tests.Masks;

public class BoykovKolmogorovGraphTests
{
    /// <summary>A random graph built both ways: as a <see cref="BoykovKolmogorovGraph"/> and as a dense matrix.</summary>
    static (BoykovKolmogorovGraph Graph, double[,] Matrix) RandomGraph(Random random, int n, double density, int maxCapacity)
    {
        var graph = new BoykovKolmogorovGraph(2, 2);   // tiny initial sizes exercise growth
        var matrix = new double[n + 2, n + 2];
        int first = graph.AddNodes(n);
        Assert.Equal(0, first);
        int edges = (int)(density * n * n);
        for (int e = 0; e < edges; e++)
        {
            int u = random.Next(n), v = random.Next(n);
            double c = random.Next(maxCapacity + 1), r = random.Next(maxCapacity + 1);
            if (random.Next(4) == 0) c = 0;
            graph.AddEdge(u, v, c, r);   // parallel edges and self-loops on purpose
            if (u != v) { matrix[u, v] += c; matrix[v, u] += r; }
        }
        for (int v = 0; v < n; v++)
        {
            int calls = random.Next(3);   // 0, 1 or 2 calls: weights accumulate
            for (int k = 0; k < calls; k++)
            {
                double s = random.Next(3) == 0 ? 0 : random.Next(maxCapacity + 1);
                double t = random.Next(3) == 0 ? 0 : random.Next(maxCapacity + 1);
                graph.AddTerminalWeights(v, s, t);
                matrix[n, v] += s;
                matrix[v, n + 1] += t;
            }
        }
        return (graph, matrix);
    }

    static double CutOf(BoykovKolmogorovGraph graph, double[,] matrix, int n)
    {
        var side = new bool[n + 2];
        for (int v = 0; v < n; v++) side[v] = graph.IsSourceSide(v);
        side[n] = true;
        return ReferenceMaxFlow.CutCapacity(matrix, side);
    }

    [Fact]
    public void Flow_and_cut_match_edmonds_karp_on_random_graphs()
    {
        var random = new Random(20041);
        for (int trial = 0; trial < 3000; trial++)
        {
            int n = 1 + random.Next(40);
            double density = trial % 3 switch { 0 => 0.05, 1 => 0.3, _ => 1.5 };
            var (graph, matrix) = RandomGraph(random, n, density, trial % 2 == 0 ? 10 : 1000);
            double flow = graph.MaxFlow();
            double expected = ReferenceMaxFlow.EdmondsKarp(matrix, n, n + 1);
            Assert.True(expected == flow, $"trial {trial}: n={n}, BK {flow}, Edmonds-Karp {expected}");
            Assert.Equal(flow, CutOf(graph, matrix, n));
        }
    }

    [Fact]
    public void Flow_equals_brute_force_min_cut_on_tiny_graphs()
    {
        var random = new Random(7);
        for (int trial = 0; trial < 1500; trial++)
        {
            int n = 1 + random.Next(trial < 100 ? 10 : 7);
            var (graph, matrix) = RandomGraph(random, n, 0.2 + random.NextDouble(), 6);
            double flow = graph.MaxFlow();
            Assert.Equal(ReferenceMaxFlow.BruteForceMinCut(matrix, n, n + 1), flow);
            Assert.Equal(flow, CutOf(graph, matrix, n));
        }
    }

    [Fact]
    public void Real_valued_capacities_agree_within_rounding()
    {
        var random = new Random(3);
        for (int trial = 0; trial < 300; trial++)
        {
            int n = 5 + random.Next(30);
            var graph = new BoykovKolmogorovGraph();
            var matrix = new double[n + 2, n + 2];
            graph.AddNodes(n);
            for (int e = 0; e < 3 * n; e++)
            {
                int u = random.Next(n), v = random.Next(n);
                if (u == v) continue;
                double c = random.NextDouble() * 5, r = Math.Exp(-10 * random.NextDouble());
                graph.AddEdge(u, v, c, r);
                matrix[u, v] += c; matrix[v, u] += r;
            }
            for (int v = 0; v < n; v++)
            {
                double s = random.NextDouble() * 20, t = random.NextDouble() * 20;
                graph.AddTerminalWeights(v, s, t);
                matrix[n, v] += s; matrix[v, n + 1] += t;
            }
            double flow = graph.MaxFlow();
            double expected = ReferenceMaxFlow.EdmondsKarp(matrix, n, n + 1);
            Assert.True(Math.Abs(flow - expected) <= 1e-9 * (1 + expected), $"trial {trial}: BK {flow}, EK {expected}");
            Assert.True(Math.Abs(CutOf(graph, matrix, n) - flow) <= 1e-9 * (1 + flow));
        }
    }

    [Fact]
    public void Misuse_is_refused()
    {
        var graph = new BoykovKolmogorovGraph();
        graph.AddNodes(2);
        Assert.Throws<ArgumentOutOfRangeException>(() => graph.AddEdge(0, 2, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => graph.AddEdge(0, 1, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => graph.AddTerminalWeights(0, double.NaN, 0));
        Assert.Throws<InvalidOperationException>(() => graph.IsSourceSide(0));
        graph.AddTerminalWeights(0, 3, 0);
        graph.AddEdge(0, 1, 2, 0);
        graph.AddTerminalWeights(1, 0, 5);
        Assert.Equal(2, graph.MaxFlow());
        Assert.True(graph.IsSourceSide(0));
        Assert.False(graph.IsSourceSide(1));
        Assert.Throws<InvalidOperationException>(() => graph.AddNode());
    }
}
