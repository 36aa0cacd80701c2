using static TorchSharp.torch;

namespace Maskbench.Attacks;

/// <summary>
/// One tensor of an attack's per-example search state (an iterate, a step size, a best loss): row i belongs to row i
/// of the <see cref="ActiveSet"/> that made it, and when the set drops rows they are dropped here too. An attack
/// declares its state as fields of this type (see <see cref="ApgdAttack"/>), so a misspelt state is a compile error.
/// The tensor is owned: assigning a new value disposes the old one. When the set admits rows
/// (<see cref="ActiveSet.Admit"/>), the search appends their state with <see cref="Append"/>; reading a state that
/// lacks rows of its set is an error, so a forgotten append cannot pair one row's state with another row.
/// </summary>
public sealed class RowTensor : IDisposable
{
    readonly string _name;
    readonly Func<long> _rows;
    Tensor? _value;

    internal RowTensor(string name, Func<long> rows)
    {
        _name = name;
        _rows = rows;
    }

    public Tensor Value
    {
        get
        {
            var value = _value ?? throw new InvalidOperationException($"the search state '{_name}' was read before it was set");
            if (value.shape[0] != _rows()) throw new InvalidOperationException(
                $"the search state '{_name}' has {value.shape[0]} rows, its set {_rows()}: rows were admitted without their state");
            return value;
        }
        set
        {
            if (_value is not null && !ReferenceEquals(_value, value)) _value.Dispose();
            _value = value.DetachFromDisposeScope();
        }
    }

    public static implicit operator Tensor(RowTensor state) => state.Value;

    /// <summary>Adds (a copy of) the state of newly admitted rows after the existing ones; sets the value if it had none.</summary>
    public void Append(Tensor rows)
    {
        var old = _value;
        _value = (old is null ? rows.clone() : cat(new[] { old, rows })).DetachFromDisposeScope();
        old?.Dispose();
    }

    /// <summary>Keeps the rows <paramref name="keep"/> (local int64 indices) of the value, if it has one.</summary>
    internal void Keep(Tensor keep)
    {
        if (_value is null) return;
        var old = _value;
        _value = old.index_select(0, keep).DetachFromDisposeScope();
        old.Dispose();
    }

    public void Dispose()
    {
        _value?.Dispose();
        _value = null;
    }
}
