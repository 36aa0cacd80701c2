using static TorchSharp.torch;

namespace Maskbench.Attacks;

/// <summary>
/// The rows of a batch an attack is still working on, with their inputs, labels, threat model, model view and any
/// per-example search state (iterate, step size, best loss: <see cref="RowTensor"/>s made by <see cref="Track"/>).
/// <see cref="Drop"/> removes rows from all of them at once, which is how early stop works. The set owns its tensors.
/// </summary>
public sealed class ActiveSet : IDisposable
{
    readonly AttackContext _context;
    readonly List<RowTensor> _state = [];

    /// <summary>Global row numbers (int64).</summary>
    public Tensor Rows { get; private set; }
    public Tensor Inputs { get; private set; }
    public Tensor Labels { get; private set; }
    public ThreatModel Threat { get; private set; }
    public IAttackTarget Target { get; private set; }
    public long Count => Rows.shape[0];
    public bool IsEmpty => Count == 0;

    internal ActiveSet(AttackContext context, Tensor rows)
    {
        _context = context;
        Rows = rows;
        (Inputs, Labels, Threat, Target) = View(rows);
    }

    (Tensor, Tensor, ThreatModel, IAttackTarget) View(Tensor rows) =>
        (_context.Inputs.index_select(0, rows).DetachFromDisposeScope(),
         _context.Labels.index_select(0, rows).DetachFromDisposeScope(),
         _context.Threat.Select(rows),
         _context.Target.Select(rows));

    /// <summary>A new per-example state tensor of this set (unset until assigned); <paramref name="name"/> is for error messages.</summary>
    public RowTensor Track(string name)
    {
        var state = new RowTensor(name);
        _state.Add(state);
        return state;
    }

    /// <summary>Rows of a full-batch tensor (for example a random start drawn for every row) that belong to this set.</summary>
    public Tensor Pick(Tensor fullBatch) => fullBatch.index_select(0, Rows);

    /// <summary>Removes the rows where <paramref name="drop"/> (local bool) is true from every tensor of the set.</summary>
    public void Drop(Tensor drop)
    {
        if (!drop.any().item<bool>()) return;
        var keep = drop.logical_not().nonzero().squeeze(1).DetachFromDisposeScope();
        var rows = Rows.index_select(0, keep).DetachFromDisposeScope();
        foreach (var state in _state) state.Keep(keep);
        Rows.Dispose();
        Inputs.Dispose();
        Labels.Dispose();
        keep.Dispose();
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
