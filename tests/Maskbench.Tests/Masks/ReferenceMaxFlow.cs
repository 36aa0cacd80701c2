namespace Maskbench.Tests.Masks;

/// <summary>
/// Plain oracles for max-flow: Edmonds-Karp (shortest augmenting paths by BFS) on a dense capacity matrix, and
/// brute force over every s-t cut. Node n is the source and n + 1 the sink.
/// </summary>
static class ReferenceMaxFlow
{
    public static double EdmondsKarp(double[,] capacity, int source, int sink)
    {
        int n = capacity.GetLength(0);
        var residual = (double[,])capacity.Clone();
        double flow = 0;
        var previous = new int[n];
        while (true)
        {
            Array.Fill(previous, -1);
            previous[source] = source;
            var queue = new Queue<int>();
            queue.Enqueue(source);
            while (queue.Count > 0 && previous[sink] < 0)
            {
                int u = queue.Dequeue();
                for (int v = 0; v < n; v++)
                    if (previous[v] < 0 && residual[u, v] > 0) { previous[v] = u; queue.Enqueue(v); }
            }
            if (previous[sink] < 0) return flow;
            double bottleneck = double.PositiveInfinity;
            for (int v = sink; v != source; v = previous[v]) bottleneck = Math.Min(bottleneck, residual[previous[v], v]);
            for (int v = sink; v != source; v = previous[v])
            {
                residual[previous[v], v] -= bottleneck;
                residual[v, previous[v]] += bottleneck;
            }
            flow += bottleneck;
        }
    }

    /// <summary>The smallest capacity over all cuts with the source on one side and the sink on the other.</summary>
    public static double BruteForceMinCut(double[,] capacity, int source, int sink)
    {
        int n = capacity.GetLength(0);
        var others = Enumerable.Range(0, n).Where(v => v != source && v != sink).ToArray();
        double best = double.PositiveInfinity;
        var sourceSide = new bool[n];
        for (int bits = 0; bits < 1 << others.Length; bits++)
        {
            Array.Clear(sourceSide);
            sourceSide[source] = true;
            for (int i = 0; i < others.Length; i++) sourceSide[others[i]] = (bits >> i & 1) != 0;
            best = Math.Min(best, CutCapacity(capacity, sourceSide));
        }
        return best;
    }

    public static double CutCapacity(double[,] capacity, bool[] sourceSide)
    {
        int n = capacity.GetLength(0);
        double sum = 0;
        for (int u = 0; u < n; u++)
            if (sourceSide[u])
                for (int v = 0; v < n; v++)
                    if (!sourceSide[v]) sum += capacity[u, v];
        return sum;
    }
}
