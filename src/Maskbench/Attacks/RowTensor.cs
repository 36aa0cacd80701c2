using static TorchSharp.torch;

namespace Maskbench.Attacks;

/// <summary>
/// One tensor of an attack's per-example search state (an iterate, a step size, a best loss): row i belongs to row i
/// of the <see cref="ActiveSet"/> that made it, and when the set drops rows they are dropped here too. An attack
/// declares its state as fields of this type (see <see cref="ApgdAttack"/>), so a misspelt state is a compile error.
/// The tensor is owned: assigning a new value disposes the old one.
/// </summary>
public sealed class RowTensor : IDisposable
{
    readonly string _name;
    Tensor? _value;

    internal RowTensor(string name) => _name = name;

    public Tensor Value
    {
        get => _value ?? throw new InvalidOperationException($"the search state '{_name}' was read before it was set");
        set
        {
            if (_value is not null && !ReferenceEquals(_value, value)) _value.Dispose();
            _value = value.DetachFromDisposeScope();
        }
    }

    public static implicit operator Tensor(RowTensor state) => state.Value;

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
