using Maskbench.Masks.MaxFlow;

namespace Maskbench.Tests.Masks;

public class GridGraphTests
{
    static readonly (GridNeighbour Direction, int Dx, int Dy)[] Forward =
        [(GridNeighbour.Right, 1, 0), (GridNeighbour.Down, 0, 1), (GridNeighbour.DownRight, 1, 1), (GridNeighbour.DownLeft, -1, 1)];

    /// <summary>Fills a grid with random capacities and mirrors them into a dense matrix (source n, sink n + 1).</summary>
    static double[,] Fill(GridGraph grid, Random random, int maxCapacity, bool integer)
    {
        int w = grid.Width, h = grid.Height, n = w * h;
        var matrix = new double[n + 2, n + 2];
        double Next() => integer ? random.Next(maxCapacity + 1) : random.NextDouble() * maxCapacity;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int p = y * w + x;
                foreach (var (direction, dx, dy) in Forward.Take(grid.Connectivity / 2))
                {
                    int nx = x + dx, ny = y + dy;
                    bool inside = nx >= 0 && nx < w && ny >= 0 && ny < h;
                    Assert.Equal(inside, grid.HasNeighbour(p, direction));
                    double c = random.Next(5) == 0 ? 0 : Next(), r = Next();
                    grid.SetEdge(p, direction, c, r);
                    if (!inside) continue;
                    int q = ny * w + nx;
                    matrix[p, q] = c;
                    matrix[q, p] = r;
                }
                double s = random.Next(3) == 0 ? 0 : Next(), t = random.Next(3) == 0 ? 0 : Next();
                grid.SetTerminalWeights(p, s, t);
                matrix[n, p] = s;
                matrix[p, n + 1] = t;
            }
        return matrix;
    }

    static double CutOf(GridGraph grid, double[,] matrix)
    {
        int n = grid.NodeCount;
        var side = new bool[n + 2];
        for (int v = 0; v < n; v++) side[v] = grid.IsSourceSide(v);
        side[n] = true;
        return ReferenceMaxFlow.CutCapacity(matrix, side);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(8)]
    public void Grid_flow_and_cut_match_edmonds_karp(int connectivity)
    {
        var random = new Random(connectivity);
        for (int trial = 0; trial < 600; trial++)
        {
            var grid = new GridGraph(1 + random.Next(9), 1 + random.Next(9), connectivity);
            var matrix = Fill(grid, random, trial % 2 == 0 ? 4 : 100, integer: true);
            double flow = grid.MaxFlow();
            Assert.Equal(ReferenceMaxFlow.EdmondsKarp(matrix, grid.NodeCount, grid.NodeCount + 1), flow);
            Assert.Equal(flow, CutOf(grid, matrix));
        }
    }

    [Fact]
    public void Tiny_grids_match_brute_force()
    {
        var random = new Random(11);
        for (int trial = 0; trial < 400; trial++)
        {
            var grid = new GridGraph(1 + random.Next(3), 1 + random.Next(3), trial % 2 == 0 ? 4 : 8);
            var matrix = Fill(grid, random, 5, integer: true);
            Assert.Equal(ReferenceMaxFlow.BruteForceMinCut(matrix, grid.NodeCount, grid.NodeCount + 1), grid.MaxFlow());
        }
    }

    [Fact]
    public void Resolving_after_clear_matches_a_fresh_grid()
    {
        var random = new Random(5);
        var reused = new GridGraph(16, 12, 8);
        for (int trial = 0; trial < 20; trial++)
        {
            reused.Clear();
            int seed = random.Next();
            var matrix = Fill(reused, new Random(seed), 50, integer: false);
            var fresh = new GridGraph(16, 12, 8);
            Fill(fresh, new Random(seed), 50, integer: false);
            double flow = reused.MaxFlow();
            Assert.Equal(fresh.MaxFlow(), flow);
            Assert.True(Math.Abs(ReferenceMaxFlow.EdmondsKarp(matrix, 192, 193) - flow) <= 1e-9 * flow);
            Assert.True(Math.Abs(CutOf(reused, matrix) - flow) <= 1e-9 * flow);
        }
    }

    [Fact]
    public void Reshaped_grids_match_fresh_grids()
    {
        var random = new Random(12);
        var reused = new GridGraph(3, 3, 8);
        for (int trial = 0; trial < 60; trial++)
        {
            int w = 1 + random.Next(12), h = 1 + random.Next(12), seed = random.Next();
            reused.Reshape(w, h);
            var matrix = Fill(reused, new Random(seed), 20, integer: true);
            double flow = reused.MaxFlow();
            var fresh = new GridGraph(w, h, 8);
            Fill(fresh, new Random(seed), 20, integer: true);
            Assert.Equal(fresh.MaxFlow(), flow);
            Assert.Equal(ReferenceMaxFlow.EdmondsKarp(matrix, w * h, w * h + 1), flow);
            Assert.Equal(flow, CutOf(reused, matrix));
        }
    }
}
