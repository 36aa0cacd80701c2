namespace Maskbench.Masks.MaxFlow;

/// <summary>The neighbour an edge of a <see cref="GridGraph"/> goes to; each undirected pair is set once.</summary>
public enum GridNeighbour
{
    Right = 0,
    Down = 1,
    /// <summary>8-connectivity only.</summary>
    DownRight = 2,
    /// <summary>8-connectivity only.</summary>
    DownLeft = 3,
}

/// <summary>
/// A W x H pixel grid with 4- or 8-connected neighbours, solved by the Boykov-Kolmogorov algorithm. Node
/// <c>y * W + x</c> is pixel (x, y). The arc layout is computed once from the indices (no edge list, no sorting),
/// so building a graph for an image is one pass over its pixels; capacities can be reset with <see cref="Clear"/> and
/// the same topology solved again (GrabCut-style re-estimation rounds do that), or the grid reshaped for the next
/// image with <see cref="Reshape"/> without allocating.
/// </summary>
public sealed class GridGraph
{
    static readonly (int Dx, int Dy)[] Offsets = [(1, 0), (0, 1), (1, 1), (-1, 1), (-1, 0), (0, -1), (-1, -1), (1, -1)];

    readonly BoykovKolmogorovSolver _solver = new();
    int[] _slot = [];               // node * connectivity + direction -> arc index, or -1 (scratch of Reshape)
    int[] _forwardArc = [];         // node * forwardCount + neighbour -> arc index, or -1 outside the grid
    double[] _arcCapacity = [];
    double[] _source = [], _sink = [];
    readonly int _forwardCount;
    int _arcCount;
    bool _solved;

    public int Width { get; private set; }
    public int Height { get; private set; }
    public int Connectivity { get; }
    public int NodeCount => Width * Height;

    public GridGraph(int width, int height, int connectivity = 8)
    {
        if (connectivity is not (4 or 8)) throw new ArgumentOutOfRangeException(nameof(connectivity), "connectivity must be 4 or 8");
        Connectivity = connectivity;
        _forwardCount = connectivity / 2;
        Reshape(width, height);
    }

    /// <summary>
    /// Makes this a <paramref name="width"/> x <paramref name="height"/> grid with every capacity zero, reusing the
    /// arrays when they are large enough (a segmenter thread keeps one grid for all its images).
    /// </summary>
    public void Reshape(int width, int height)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"grid {width}x{height} must be positive");
        int connectivity = Connectivity;
        Width = width;
        Height = height;
        int n = checked(width * height);

        // Directions 0..forwardCount-1 are the forward half; direction d + forwardCount is its opposite.
        if (_slot.Length < n * connectivity) _slot = new int[n * connectivity];
        var slot = _slot;
        int arcs = 0;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                for (int d = 0; d < connectivity; d++)
                {
                    var (dx, dy) = Offsets[d < _forwardCount ? d : 4 + (d - _forwardCount)];
                    int nx = x + dx, ny = y + dy;
                    slot[(y * width + x) * connectivity + d] = nx >= 0 && nx < width && ny >= 0 && ny < height ? arcs++ : -1;
                }
        _solver.Allocate(n, arcs);
        _arcCount = arcs;
        if (_arcCapacity.Length < arcs) _arcCapacity = new double[arcs];
        if (_forwardArc.Length < n * _forwardCount) _forwardArc = new int[n * _forwardCount];
        if (_source.Length < n) { _source = new double[n]; _sink = new double[n]; }
        var start = _solver.ArcStart;
        int arc = 0;
        for (int p = 0; p < n; p++)
        {
            start[p] = arc;
            int x = p % width, y = p / width;
            for (int d = 0; d < connectivity; d++)
            {
                int a = slot[p * connectivity + d];
                if (a < 0) { if (d < _forwardCount) _forwardArc[p * _forwardCount + d] = -1; continue; }
                bool forward = d < _forwardCount;
                var (dx, dy) = Offsets[forward ? d : 4 + (d - _forwardCount)];
                int q = (y + dy) * width + x + dx;
                int opposite = forward ? d + _forwardCount : d - _forwardCount;
                _solver.ArcHead[a] = q;
                _solver.ArcReverse[a] = slot[q * connectivity + opposite];
                if (forward) _forwardArc[p * _forwardCount + d] = a;
                arc++;
            }
        }
        start[n] = arc;
        Clear();
    }

    /// <summary>Sets the capacities of pixel <paramref name="node"/>'s edge to a neighbour (ignored at the border).</summary>
    public void SetEdge(int node, GridNeighbour neighbour, double capacity, double reverseCapacity)
    {
        int d = (int)neighbour;
        if (d >= _forwardCount) throw new ArgumentOutOfRangeException(nameof(neighbour), $"{neighbour} needs 8-connectivity");
        int a = _forwardArc[node * _forwardCount + d];
        if (a < 0) return;
        _arcCapacity[a] = capacity;
        _arcCapacity[_solver.ArcReverse[a]] = reverseCapacity;
        _solved = false;
    }

    /// <summary>Whether pixel <paramref name="node"/> has that neighbour inside the grid.</summary>
    public bool HasNeighbour(int node, GridNeighbour neighbour) =>
        (int)neighbour < _forwardCount && _forwardArc[node * _forwardCount + (int)neighbour] >= 0;

    /// <summary>Sets (replaces) the source and sink capacities of pixel <paramref name="node"/>.</summary>
    public void SetTerminalWeights(int node, double source, double sink)
    {
        _source[node] = source;
        _sink[node] = sink;
        _solved = false;
    }

    /// <summary>Sets every capacity to zero, keeping the topology.</summary>
    public void Clear()
    {
        Array.Clear(_arcCapacity, 0, _arcCount);
        Array.Clear(_source, 0, NodeCount);
        Array.Clear(_sink, 0, NodeCount);
        _solved = false;
    }

    /// <summary>Computes the maximum flow from the current capacities; may be called again after changing them.</summary>
    public double MaxFlow()
    {
        int n = NodeCount;
        Array.Copy(_arcCapacity, _solver.ResidualCapacity, _arcCount);
        double terminalFlow = 0;
        for (int v = 0; v < n; v++)
        {
            _solver.TerminalCapacity[v] = _source[v] - _sink[v];
            terminalFlow += Math.Min(_source[v], _sink[v]);
        }
        double flow = terminalFlow + _solver.Run();
        _solved = true;
        return flow;
    }

    /// <summary>After <see cref="MaxFlow"/>: whether the pixel is on the source side of a minimum cut.</summary>
    public bool IsSourceSide(int node)
    {
        if (!_solved) throw new InvalidOperationException("call MaxFlow() after the last change before reading the cut");
        return _solver.IsSourceSide(node);
    }
}
