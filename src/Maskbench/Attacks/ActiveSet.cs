using static TorchSharp.torch;

namespace Maskbench.Attacks;

/// <summary>
/// The rows of a batch an attack is working on, with their inputs, labels, threat model, model view, the step each row
/// is at (<see cref="Step"/>) and any per-example search state (iterate, step size, best loss: <see cref="RowTensor"/>s
/// made by <see cref="Track"/>). <see cref="Drop"/> removes rows from all of them at once, which is how early stop
/// works. A set with a window (<see cref="AttackContext.Window"/>) works on at most that many rows at a time and holds
/// the others in a queue; <see cref="Admit"/> moves queued rows into the places rows have left, so a search that
/// refills keeps its batch full while each row runs its own schedule. The set owns its tensors.
/// </summary>
public sealed class ActiveSet : IDisposable
{
    readonly AttackContext _context;
    readonly List<RowTensor> _state = [];
    readonly RowTensor _step;
    readonly long[] _queue;
    readonly long _window;
    int _next;
    bool _begun;
    // The L∞ threat set of each row as float32 bounds (ThreatModel.BoundsAround), made at the first Project; null before,
    // and for good where the threat model has none (L2, a fractional mask).
    RowTensor? _lower, _upper;
    bool _noBounds;

    /// <summary>Global row numbers (int64).</summary>
    public Tensor Rows { get; private set; }
    public Tensor Inputs { get; private set; }
    public Tensor Labels { get; private set; }
    public ThreatModel Threat { get; private set; }
    public IAttackTarget Target { get; private set; }
    /// <summary>The number of steps each row has taken in this search (int64, local); 0 when admitted, raised by <see cref="Advance"/>.</summary>
    public Tensor Step => _step.Value;
    /// <summary>Rows being worked on.</summary>
    public long Count => Rows.shape[0];
    /// <summary>Rows waiting in the queue (never admitted yet).</summary>
    public long Queued => _queue.Length - _next;
    /// <summary>No row being worked on (rows may still be queued: see <see cref="Admit"/>).</summary>
    public bool IsEmpty => Count == 0;

    /// <param name="rows">The rows to attack (global, int64), in order.</param>
    /// <param name="window">At most this many rows at a time, the first ones at once; null: all of them at once.</param>
    internal ActiveSet(AttackContext context, Tensor rows, long? window)
    {
        _context = context;
        long all = rows.shape[0];
        _window = window ?? all;
        long first = Math.Min(all, _window);
        _queue = first < all ? rows.narrow(0, first, all - first).cpu().data<long>().ToArray() : [];
        Rows = first < all ? rows.narrow(0, 0, first).clone().DetachFromDisposeScope() : rows;
        if (first < all) rows.Dispose();
        (Inputs, Labels, Threat, Target) = View(Rows);
        _step = Track("step");
        _step.Value = zeros(new[] { first }, ScalarType.Int64, Rows.device);
    }

    (Tensor, Tensor, ThreatModel, IAttackTarget) View(Tensor rows) =>
        (_context.Inputs.index_select(0, rows).DetachFromDisposeScope(),
         _context.Labels.index_select(0, rows).DetachFromDisposeScope(),
         _context.Threat.Select(rows),
         _context.Target.Select(rows));

    /// <summary>A new per-example state tensor of this set (unset until assigned); <paramref name="name"/> is for error messages.</summary>
    public RowTensor Track(string name)
    {
        var state = new RowTensor(name, () => Count);
        _state.Add(state);
        return state;
    }

    /// <summary>Rows of a full-batch tensor (for example a random start drawn for every row) that belong to this set.</summary>
    public Tensor Pick(Tensor fullBatch) => fullBatch.index_select(0, Rows);

    /// <summary>
    /// Moves queued rows into the set until it holds its window (or the queue is empty); they come after the rows
    /// already there, at step 0. Returns the rows new to the search (global, int64, possibly none): at the first call
    /// every row of the set, later the admitted ones. The search appends their state to each of its
    /// <see cref="RowTensor"/>s (<see cref="RowTensor.Append"/>) before reading it again. A search that never calls
    /// this works on the rows the set began with.
    /// </summary>
    public Tensor Admit()
    {
        long take = Math.Max(0, Math.Min(_window - Count, Queued));
        var added = tensor(_queue.AsSpan(_next, (int)take).ToArray(), ScalarType.Int64).to(Rows.device);
        if (take > 0)
        {
            _next += (int)take;
            Replace(cat(new[] { Rows, added }).DetachFromDisposeScope());
            using var start = zeros(new[] { take }, ScalarType.Int64, Rows.device);
            _step.Append(start);
        }
        if (take > 0 && _lower is not null)
        {
            using var scope = NewDisposeScope();
            if (_context.Threat.Select(added).BoundsAround(_context.Inputs.index_select(0, added)) is { } bounds)
            {
                _lower.Append(bounds.Lower);
                _upper!.Append(bounds.Upper);
                bounds.Dispose();
            }
            else ForgetBounds();
        }
        if (_begun) return added;
        _begun = true;
        added.Dispose();
        return Rows.clone();
    }

    /// <summary>
    /// <see cref="ThreatModel.Project"/> of <paramref name="candidate"/> (one row per row of the set) onto each row's
    /// threat set. For L∞ with no mask or a 0/1 one it clamps between bounds made once per row
    /// (<see cref="ThreatModel.BoundsAround"/>: the same values in two float32 passes instead of a dozen float64 ones),
    /// which is worth it for a search that projects every step.
    /// </summary>
    public Tensor Project(Tensor candidate)
    {
        if (_lower is null && !_noBounds)
        {
            if (Threat.BoundsAround(Inputs) is { } bounds)
            {
                _lower = Track("lower");
                _upper = Track("upper");
                _lower.Value = bounds.Lower;
                _upper.Value = bounds.Upper;
            }
            else _noBounds = true;
        }
        return _lower is null ? Threat.Project(candidate, Inputs) : LinfBounds.Project(candidate, _lower.Value, _upper!.Value);
    }

    void ForgetBounds()
    {
        foreach (var bounds in new[] { _lower!, _upper! })
        {
            _state.Remove(bounds);
            bounds.Dispose();
        }
        (_lower, _upper, _noBounds) = (null, null, true);
    }

    /// <summary>Every row has taken one more step.</summary>
    public void Advance() => _step.Value = _step.Value + 1;

    /// <summary>Removes the rows where <paramref name="drop"/> (local bool) is true from every tensor of the set.</summary>
    public void Drop(Tensor drop)
    {
        if (!drop.any().item<bool>()) return;
        var keep = drop.logical_not().nonzero().squeeze(1).DetachFromDisposeScope();
        var rows = Rows.index_select(0, keep).DetachFromDisposeScope();
        foreach (var state in _state) state.Keep(keep);
        keep.Dispose();
        Replace(rows);
    }

    void Replace(Tensor rows)
    {
        Rows.Dispose();
        Inputs.Dispose();
        Labels.Dispose();
        Rows = rows;
        (Inputs, Labels, Threat, Target) = View(rows);
    }

    /// <summary>Drops newly fooled rows if early stop is on.</summary>
    public void DropIfEarlyStop(Tensor newlyFooled)
    {
        if (_context.EarlyStop) Drop(newlyFooled);
    }

    public void Dispose()
    {
        foreach (var state in _state) state.Dispose();
        _state.Clear();
        Rows.Dispose();
        Inputs.Dispose();
        Labels.Dispose();
    }
}
