namespace Maskbench.Masks.MaxFlow;

/// <summary>
/// The Boykov-Kolmogorov max-flow algorithm (Y. Boykov and V. Kolmogorov, "An experimental comparison of
/// min-cut/max-flow algorithms for energy minimization in vision", IEEE TPAMI 26(9), 2004) over a graph held in
/// flat arrays: arcs of node <c>v</c> are <c>arcStart[v]..arcStart[v+1]-1</c> (compressed rows), each arc knows its
/// head and its reverse arc. Two search trees grow from the terminals (S from the source, T from the sink); when
/// they touch, the path is augmented, saturated tree arcs turn nodes into orphans, and orphans are re-adopted
/// (preferring the shortest route to a terminal, checked with timestamps) or freed.
/// <para>
/// Capacities are <see cref="double"/>: segmentation energies are real-valued (log-likelihoods, exponentials of
/// contrast) with a wide range, and float's 24-bit mantissa loses small pairwise terms next to large terminal
/// weights after many augmentations. Integer-valued capacities below 2^53 give exact flows, which the tests use.
/// </para>
/// Shared by <see cref="BoykovKolmogorovGraph"/> (any graph) and <see cref="GridGraph"/> (image grids), which only
/// differ in how they lay the arcs out.
/// </summary>
internal sealed class BoykovKolmogorovSolver
{
    const int NoParent = -1;     // free node
    const int TerminalParent = -2;
    const int OrphanParent = -3;
    const int NotQueued = -1;

    // Graph, written by the owners.
    internal int NodeCount;
    internal int[] ArcStart = [];   // NodeCount + 1
    internal int[] ArcHead = [];
    internal int[] ArcReverse = [];
    internal double[] ResidualCapacity = [];
    /// <summary>Residual terminal capacity: positive towards the source, negative towards the sink.</summary>
    internal double[] TerminalCapacity = [];

    // Search state.
    int[] _parent = [];            // arc from the node to its parent, or one of the *Parent markers
    bool[] _inSinkTree = [];
    int[] _timestamp = [];
    int[] _distance = [];
    int[] _nextActive = [];        // NotQueued, or the next node in the active FIFO (the last points to itself)
    int _queueFirst = -1, _queueLast = -1;
    int[] _orphans = [];
    int _orphanHead, _orphanTail;
    int _time;

    internal void Allocate(int nodes, int arcs)
    {
        NodeCount = nodes;
        if (ArcStart.Length < nodes + 1) ArcStart = new int[nodes + 1];
        if (TerminalCapacity.Length < nodes)
        {
            TerminalCapacity = new double[nodes];
            _parent = new int[nodes];
            _inSinkTree = new bool[nodes];
            _timestamp = new int[nodes];
            _distance = new int[nodes];
            _nextActive = new int[nodes];
            _orphans = new int[nodes];
        }
        if (ArcHead.Length < arcs)
        {
            ArcHead = new int[arcs];
            ArcReverse = new int[arcs];
            ResidualCapacity = new double[arcs];
        }
    }

    /// <summary>Runs to completion from the current residual capacities and returns the flow pushed.</summary>
    internal double Run()
    {
        int n = NodeCount;
        double flow = 0;
        _queueFirst = _queueLast = -1;
        _time = 0;
        for (int v = 0; v < n; v++)
        {
            _nextActive[v] = NotQueued;
            _timestamp[v] = 0;
            double t = TerminalCapacity[v];
            if (t > 0) { _parent[v] = TerminalParent; _inSinkTree[v] = false; _distance[v] = 1; Enqueue(v); }
            else if (t < 0) { _parent[v] = TerminalParent; _inSinkTree[v] = true; _distance[v] = 1; Enqueue(v); }
            else { _parent[v] = NoParent; _inSinkTree[v] = false; _distance[v] = 0; }
        }

        int current = -1;
        while (true)
        {
            if (current < 0 || _parent[current] == NoParent)
            {
                current = Dequeue();
                if (current < 0) break;
                if (_parent[current] == NoParent) { current = -1; continue; }
            }
            int bridge = Grow(current);   // an arc from an S node to a T node, or -1
            if (bridge < 0) { current = -1; continue; }

            // `current` may still have unexplored neighbours: keep it and scan it again next round.
            _time++;
            flow += Augment(bridge);
            Adopt();
        }
        return flow;
    }

    /// <summary>True when the node ends on the source side of the minimum cut (free nodes go to the sink).</summary>
    internal bool IsSourceSide(int v) => _parent[v] != NoParent && !_inSinkTree[v];

    int Grow(int v)
    {
        bool sink = _inSinkTree[v];
        int end = ArcStart[v + 1];
        for (int a = ArcStart[v]; a < end; a++)
        {
            // Residual capacity in the tree's direction: away from the source in S, towards the sink in T.
            int reverse = ArcReverse[a];
            if ((sink ? ResidualCapacity[reverse] : ResidualCapacity[a]) <= 0) continue;
            int w = ArcHead[a];
            int pw = _parent[w];
            if (pw == NoParent)
            {
                _inSinkTree[w] = sink;
                _parent[w] = reverse;
                _timestamp[w] = _timestamp[v];
                _distance[w] = _distance[v] + 1;
                Enqueue(w);
            }
            else if (_inSinkTree[w] != sink)
            {
                return sink ? reverse : a;
            }
            else if (_timestamp[w] <= _timestamp[v] && _distance[w] > _distance[v])
            {
                // The distance heuristic of section 3.3: re-hang w under v if that is a shorter route.
                _parent[w] = reverse;
                _timestamp[w] = _timestamp[v];
                _distance[w] = _distance[v] + 1;
            }
        }
        return -1;
    }

    double Augment(int bridge)
    {
        int s = ArcHead[ArcReverse[bridge]], t = ArcHead[bridge];
        double bottleneck = ResidualCapacity[bridge];
        int v;
        for (v = s; _parent[v] != TerminalParent; v = ArcHead[_parent[v]])
            bottleneck = Math.Min(bottleneck, ResidualCapacity[ArcReverse[_parent[v]]]);
        bottleneck = Math.Min(bottleneck, TerminalCapacity[v]);
        for (v = t; _parent[v] != TerminalParent; v = ArcHead[_parent[v]])
            bottleneck = Math.Min(bottleneck, ResidualCapacity[_parent[v]]);
        bottleneck = Math.Min(bottleneck, -TerminalCapacity[v]);

        ResidualCapacity[bridge] -= bottleneck;
        ResidualCapacity[ArcReverse[bridge]] += bottleneck;
        _orphanHead = _orphanTail = 0;
        for (v = s; _parent[v] != TerminalParent;)
        {
            int up = _parent[v], down = ArcReverse[up];     // flow runs parent -> v along `down`
            ResidualCapacity[down] -= bottleneck;
            ResidualCapacity[up] += bottleneck;
            int next = ArcHead[up];
            if (ResidualCapacity[down] <= 0) MakeOrphan(v);
            v = next;
        }
        TerminalCapacity[v] -= bottleneck;
        if (TerminalCapacity[v] <= 0) { TerminalCapacity[v] = 0; MakeOrphan(v); }
        for (v = t; _parent[v] != TerminalParent;)
        {
            int up = _parent[v];                              // flow runs v -> parent along `up`
            ResidualCapacity[up] -= bottleneck;
            ResidualCapacity[ArcReverse[up]] += bottleneck;
            int next = ArcHead[up];
            if (ResidualCapacity[up] <= 0) MakeOrphan(v);
            v = next;
        }
        TerminalCapacity[v] += bottleneck;
        if (TerminalCapacity[v] >= 0) { TerminalCapacity[v] = 0; MakeOrphan(v); }
        return bottleneck;
    }

    void MakeOrphan(int v)
    {
        _parent[v] = OrphanParent;
        _orphans[_orphanTail++] = v;
    }

    void Adopt()
    {
        // A node is on the orphan list at most once at a time, so a ring of NodeCount entries never overflows.
        int n = NodeCount;
        int count = _orphanTail - _orphanHead;
        while (count > 0)
        {
            int o = _orphans[_orphanHead];
            _orphanHead = _orphanHead + 1 == n ? 0 : _orphanHead + 1;
            count--;
            bool sink = _inSinkTree[o];
            int bestArc = NoParent, bestDistance = int.MaxValue;
            int end = ArcStart[o + 1];
            for (int a = ArcStart[o]; a < end; a++)
            {
                if ((sink ? ResidualCapacity[a] : ResidualCapacity[ArcReverse[a]]) <= 0) continue;
                int w = ArcHead[a];
                if (_parent[w] == NoParent || _inSinkTree[w] != sink) continue;
                int d = RootDistance(w);
                if (d < bestDistance) { bestDistance = d; bestArc = a; }
            }
            if (bestArc != NoParent)
            {
                _parent[o] = bestArc;
                _timestamp[o] = _time;
                _distance[o] = bestDistance + 1;
                continue;
            }

            // No valid parent: o becomes free; neighbours that could feed it become active, children orphans.
            _parent[o] = NoParent;
            for (int a = ArcStart[o]; a < end; a++)
            {
                int w = ArcHead[a];
                int pw = _parent[w];
                if (pw == NoParent || _inSinkTree[w] != sink) continue;
                if ((sink ? ResidualCapacity[a] : ResidualCapacity[ArcReverse[a]]) > 0) Enqueue(w);
                if (pw >= 0 && ArcHead[pw] == o)
                {
                    _parent[w] = OrphanParent;
                    _orphans[_orphanTail] = w;
                    _orphanTail = _orphanTail + 1 == n ? 0 : _orphanTail + 1;
                    count++;
                }
            }
        }
    }

    /// <summary>
    /// Distance from <paramref name="w"/> to its terminal along parent arcs, or <see cref="int.MaxValue"/> when the
    /// chain ends in an orphan. Nodes whose timestamp equals the current time already hold a verified distance;
    /// the walk stamps every node it verifies so later queries stop early.
    /// </summary>
    int RootDistance(int w)
    {
        int d = 0, v = w;
        while (true)
        {
            if (_timestamp[v] == _time) { d += _distance[v]; break; }
            int p = _parent[v];
            d++;
            if (p == TerminalParent) { _timestamp[v] = _time; _distance[v] = 1; break; }
            if (p < 0) return int.MaxValue;   // orphan (or free) on the way
            v = ArcHead[p];
        }
        // Stamp the verified chain with exact distances.
        for (v = w; _timestamp[v] != _time; v = ArcHead[_parent[v]])
        {
            _timestamp[v] = _time;
            _distance[v] = d--;
        }
        return _distance[w];
    }

    void Enqueue(int v)
    {
        if (_nextActive[v] != NotQueued) return;
        _nextActive[v] = v;
        if (_queueLast >= 0) _nextActive[_queueLast] = v; else _queueFirst = v;
        _queueLast = v;
    }

    int Dequeue()
    {
        int v = _queueFirst;
        if (v < 0) return -1;
        int next = _nextActive[v];
        _queueFirst = next == v ? -1 : next;
        if (_queueFirst < 0) _queueLast = -1;
        _nextActive[v] = NotQueued;
        return v;
    }
}
