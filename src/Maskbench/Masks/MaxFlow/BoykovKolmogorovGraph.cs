namespace Maskbench.Masks.MaxFlow;

/// <summary>
/// A general s-t graph solved by the Boykov-Kolmogorov algorithm (<see cref="BoykovKolmogorovSolver"/>). Add
/// nodes, edges and terminal weights, call <see cref="MaxFlow"/> once, then read the cut with
/// <see cref="IsSourceSide"/>. Edges are kept in flat arrays and laid out per node (compressed rows, each arc with
/// the index of its reverse) when the flow is computed; no per-node objects.
/// </summary>
public sealed class BoykovKolmogorovGraph
{
    readonly BoykovKolmogorovSolver _solver = new();
    int _nodes;
    int _edges;
    int[] _from, _to;
    double[] _capacity, _reverseCapacity;
    double[] _source, _sink;       // accumulated terminal weights per node
    bool _solved;

    public BoykovKolmogorovGraph(int expectedNodes = 16, int expectedEdges = 32)
    {
        _from = new int[Math.Max(1, expectedEdges)];
        _to = new int[_from.Length];
        _capacity = new double[_from.Length];
        _reverseCapacity = new double[_from.Length];
        _source = new double[Math.Max(1, expectedNodes)];
        _sink = new double[_source.Length];
    }

    public int NodeCount => _nodes;

    /// <summary>Adds one node and returns its index.</summary>
    public int AddNode() => AddNodes(1);

    /// <summary>Adds <paramref name="count"/> nodes and returns the index of the first.</summary>
    public int AddNodes(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        EnsureOpen();
        int first = _nodes;
        _nodes = checked(_nodes + count);
        if (_source.Length < _nodes)
        {
            int size = Math.Max(_nodes, _source.Length * 2);
            Array.Resize(ref _source, size);
            Array.Resize(ref _sink, size);
        }
        return first;
    }

    /// <summary>Adds an edge u->v of <paramref name="capacity"/> and v->u of <paramref name="reverseCapacity"/>.</summary>
    public void AddEdge(int u, int v, double capacity, double reverseCapacity = 0)
    {
        CheckNode(u);
        CheckNode(v);
        CheckCapacity(capacity);
        CheckCapacity(reverseCapacity);
        EnsureOpen();
        if (u == v) return;   // a self-loop never crosses a cut
        if (_edges == _from.Length)
        {
            int size = _from.Length * 2;
            Array.Resize(ref _from, size);
            Array.Resize(ref _to, size);
            Array.Resize(ref _capacity, size);
            Array.Resize(ref _reverseCapacity, size);
        }
        _from[_edges] = u;
        _to[_edges] = v;
        _capacity[_edges] = capacity;
        _reverseCapacity[_edges] = reverseCapacity;
        _edges++;
    }

    /// <summary>
    /// Adds capacity from the source to <paramref name="node"/> and from it to the sink (accumulates over calls).
    /// Only the difference needs an arc: min(source, sink) is paid by every cut and is added to the flow directly.
    /// </summary>
    public void AddTerminalWeights(int node, double source, double sink)
    {
        CheckNode(node);
        CheckCapacity(source);
        CheckCapacity(sink);
        EnsureOpen();
        _source[node] += source;
        _sink[node] += sink;
    }

    /// <summary>Computes the maximum flow (= the minimum cut's capacity). Call once.</summary>
    public double MaxFlow()
    {
        EnsureOpen();
        _solved = true;
        int n = _nodes;
        var solver = _solver;
        solver.Allocate(n, 2 * _edges);
        var start = solver.ArcStart;
        Array.Clear(start, 0, n + 1);
        for (int e = 0; e < _edges; e++) { start[_from[e] + 1]++; start[_to[e] + 1]++; }
        for (int v = 0; v < n; v++) start[v + 1] += start[v];
        var fill = new int[n];
        Array.Copy(start, fill, n);
        for (int e = 0; e < _edges; e++)
        {
            int u = _from[e], v = _to[e];
            int a = fill[u]++, b = fill[v]++;
            solver.ArcHead[a] = v; solver.ArcReverse[a] = b; solver.ResidualCapacity[a] = _capacity[e];
            solver.ArcHead[b] = u; solver.ArcReverse[b] = a; solver.ResidualCapacity[b] = _reverseCapacity[e];
        }
        double terminalFlow = 0;
        for (int v = 0; v < n; v++)
        {
            solver.TerminalCapacity[v] = _source[v] - _sink[v];
            terminalFlow += Math.Min(_source[v], _sink[v]);
        }
        return terminalFlow + solver.Run();
    }

    /// <summary>After <see cref="MaxFlow"/>: whether the node is on the source side of a minimum cut.</summary>
    public bool IsSourceSide(int node)
    {
        CheckNode(node);
        if (!_solved) throw new InvalidOperationException("call MaxFlow() before reading the cut");
        return _solver.IsSourceSide(node);
    }

    void CheckNode(int node)
    {
        if ((uint)node >= (uint)_nodes) throw new ArgumentOutOfRangeException(nameof(node), $"node {node} is not in 0..{_nodes - 1}");
    }

    static void CheckCapacity(double c)
    {
        if (!(c >= 0) || double.IsPositiveInfinity(c)) throw new ArgumentOutOfRangeException(nameof(c),
            $"capacity {c} must be finite and non-negative");
    }

    void EnsureOpen()
    {
        if (_solved) throw new InvalidOperationException("the graph was already solved; build a new one");
    }
}
