using Maskbench.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Maskbench.Attacks;

/// <summary>
/// A TorchSharp classifier as an attack target. With an input mask (N x 1 x H x W) the model sees
/// x ⊙ mask: the paper's masked model, which multiplies its input by the foreground mask before classifying.
/// While prepared for an attack, an <see cref="ImageClassifier"/> that has a <see cref="FrozenClassifier"/> form runs
/// as that form (batch norm folded into the convolutions, in the attack's precision); other modules run as they are.
/// </summary>
public sealed class ModuleTarget : IAttackTarget
{
    readonly nn.Module<Tensor, Tensor> _model;
    readonly ExecutionState _state;

    public Tensor? InputMask { get; }

    /// <summary>
    /// Run a frozen, batch-norm-folded copy during attacks where the model has one (the default). Off, attacks run the
    /// module itself, in evaluation mode; the two compute the same function up to float rounding.
    /// </summary>
    public bool Freeze { get; init; } = true;

    public ModuleTarget(nn.Module<Tensor, Tensor> model, Tensor? inputMask = null) : this(model, inputMask, new ExecutionState()) { }

    ModuleTarget(nn.Module<Tensor, Tensor> model, Tensor? inputMask, ExecutionState state)
    {
        _model = model;
        InputMask = inputMask;
        _state = state;
    }

    public Tensor Logits(Tensor inputs)
    {
        using var scope = NewDisposeScope();
        var seen = InputMask is null ? inputs : inputs * InputMask;
        if (_state.Frozen is FrozenClassifier frozen) return frozen.Forward(seen).to_type(ScalarType.Float32).MoveToOuterDisposeScope();
        if (_state.Current == ScalarType.Float32) return _model.call(seen).MoveToOuterDisposeScope();
        return _model.call(seen.to_type(_state.Current)).to_type(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    public IAttackTarget Select(Tensor indices) =>
        InputMask is null ? this : new ModuleTarget(_model, InputMask.index_select(0, indices.to(InputMask.device)), _state) { Freeze = Freeze };

    public IDisposable Prepare(Precision precision)
    {
        var dtype = precision == Precision.Bf16 ? ScalarType.BFloat16 : ScalarType.Float32;
        if (Freeze && _model is ImageClassifier classifier && classifier.Freeze(dtype) is FrozenClassifier frozen)
            return new FrozenPreparation(_state, frozen);
        return new Preparation(_model, _state, precision);
    }

    /// <summary>What a target and its selections (which run the same module) execute while prepared.</summary>
    sealed class ExecutionState
    {
        public ScalarType Current = ScalarType.Float32;
        public FrozenClassifier? Frozen;
    }

    /// <summary>Runs a frozen copy until disposed, then whatever ran before (preparations nest: float32 outside, bf16 inside).</summary>
    sealed class FrozenPreparation : IDisposable
    {
        readonly ExecutionState _state;
        readonly FrozenClassifier? _previous;
        readonly FrozenClassifier _frozen;

        public FrozenPreparation(ExecutionState state, FrozenClassifier frozen)
        {
            _state = state;
            _previous = state.Frozen;
            _frozen = frozen;
            state.Frozen = frozen;
        }

        public void Dispose()
        {
            _state.Frozen = _previous;
            _frozen.Dispose();
        }
    }

    /// <summary>
    /// Evaluation mode and frozen parameters for the attack; for bf16 the module is converted in place (so the module
    /// must not be used elsewhere, e.g. by another thread, while a bf16 attack runs) after keeping
    /// float32 copies of every parameter and buffer, which are written back on dispose (so no weight is rounded).
    /// </summary>
    sealed class Preparation : IDisposable
    {
        readonly nn.Module<Tensor, Tensor> _model;
        readonly ExecutionState _state;
        readonly FrozenClassifier? _previousFrozen;
        readonly bool _wasTraining;
        readonly Dictionary<string, bool> _requiresGrad = new(StringComparer.Ordinal);
        readonly Dictionary<string, Tensor>? _float32;

        public Preparation(nn.Module<Tensor, Tensor> model, ExecutionState state, Precision precision)
        {
            _model = model;
            _state = state;
            _previousFrozen = state.Frozen;
            state.Frozen = null;
            _wasTraining = model.training;
            model.eval();
            foreach (var (name, p) in model.named_parameters())
            {
                _requiresGrad[name] = p.requires_grad;
                p.requires_grad = false;
            }
            if (precision == Precision.Bf16)
            {
                _float32 = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
                model.to(ScalarType.BFloat16);
                foreach (var p in model.parameters()) p.requires_grad = false;
                state.Current = ScalarType.BFloat16;
            }
        }

        public void Dispose()
        {
            _state.Frozen = _previousFrozen;
            if (_float32 is not null)
            {
                _model.to(ScalarType.Float32);
                using (no_grad())
                {
                    foreach (var (name, tensor) in _model.state_dict())
                        if (_float32.TryGetValue(name, out var saved)) tensor.copy_(saved);
                }
                foreach (var saved in _float32.Values) saved.Dispose();
                _state.Current = ScalarType.Float32;
            }
            // Converting dtypes replaces the parameter objects, so they are found again by name.
            foreach (var (name, p) in _model.named_parameters())
                if (_requiresGrad.TryGetValue(name, out var requiresGrad)) p.requires_grad = requiresGrad;
            if (_wasTraining) _model.train();
        }
    }
}
