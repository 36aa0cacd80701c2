using Maskbench.Kernels;
using Maskbench.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Maskbench.Attacks;

/// <summary>Marks a module that checks its own kernels (a TorchScript classifier checks itself whole against a float64 copy).</summary>
public interface IChecksOwnKernels;

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
        if (_model is not (ImageClassifier or IChecksOwnKernels) && CheckWhole(seen) is ConvolutionRoute.Float64)
        {
            // Prepared: the preparation now holds the module in float64. Unprepared: this call alone runs in float64.
            if (_state.Active is { } preparation) preparation.SwitchToFloat64();
            else return InFloat64(seen).to_type(ScalarType.Float32).MoveToOuterDisposeScope();
        }
        if (_state.Current == ScalarType.Float32) return _model.call(seen).MoveToOuterDisposeScope();
        return _model.call(seen.to_type(_state.Current)).to_type(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// A module whose layers Maskbench cannot route one by one is checked whole (<see cref="WholeModelProbe"/>) for each
    /// input shape, batch size class and precision it meets; where the check fails (or the policy asks) it runs in float64
    /// until the preparation ends. Our own classifiers check each convolution instead (<see cref="CheckedConvolution"/>).
    /// </summary>
    ConvolutionRoute CheckWhole(Tensor input)
    {
        if (_state.Current == ScalarType.Float64 || ComputesInFloat64()) return ConvolutionRoute.Direct.Instance;
        long batch = ConvolutionShape.BatchClass(input.shape[0]);
        string subject = $"{_model.GetName()} {ConvolutionShape.DTypeName(_state.Current)} n{batch}{(batch == 1 ? "" : "+")} " +
                         $"{input.shape[1]}x{input.shape[2]}x{input.shape[3]} (whole model), {get_num_threads()} threads";
        var policy = KernelChecks.Policy;
        if (!_state.Verdicts.TryGetValue((subject, policy), out var verdict))
        {
            var dtype = _state.Current;
            var direct = WholeModelProbe.Run(x => _model.call(x.to_type(dtype)).to_type(ScalarType.Float32), x => InFloat64(x), batch,
                input.shape[1], input.shape[2], input.shape[3],
                dtype == ScalarType.Float32 ? WholeModelProbe.Tolerance : WholeModelProbe.LowPrecisionTolerance);
            verdict = policy == KernelPolicy.Auto && direct.Passed
                ? new KernelVerdict(subject, direct, ConvolutionRoute.Direct.Instance, direct)
                : new KernelVerdict(subject, direct, ConvolutionRoute.Float64.Instance,
                direct with { Route = "float64", Forward = 0, InputGradient = 0 });
            _state.Verdicts[(subject, policy)] = verdict;
        }
        KernelChecks.NoteUse(verdict);
        return verdict.Route;
    }

    /// <summary>A module whose every floating tensor is float64 computes without oneDNN, in the reference precision itself.</summary>
    bool ComputesInFloat64() =>
        _model.parameters().Concat(_model.buffers()).Where(t => t.is_floating_point()).All(t => t.dtype == ScalarType.Float64);

    /// <summary>The module's function in float64 (converted in place and back: float32 and bfloat16 values survive the round trip exactly).</summary>
    Tensor InFloat64(Tensor x)
    {
        var dtype = _state.Current;
        var requiresGrad = _model.named_parameters().ToDictionary(p => p.name, p => p.parameter.requires_grad);
        _model.to(ScalarType.Float64);
        try { return _model.call(x.to_type(ScalarType.Float64)); }
        finally
        {
            _model.to(dtype);
            foreach (var (name, p) in _model.named_parameters()) p.requires_grad = requiresGrad.GetValueOrDefault(name);
        }
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
        public Preparation? Active;
        public readonly Dictionary<(string, KernelPolicy), KernelVerdict> Verdicts = [];
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
    /// Evaluation mode and frozen parameters for the attack; for bf16 (and for float64, where a kernel check sends an
    /// unchecked module there) the module is converted in place (so the module must not be used elsewhere, e.g. by
    /// another thread, while the attack runs) after keeping copies of every parameter and buffer, which are written back
    /// on dispose in the dtype the module had before (so no weight is rounded). Preparations nest.
    /// </summary>
    sealed class Preparation : IDisposable
    {
        readonly nn.Module<Tensor, Tensor> _model;
        readonly ExecutionState _state;
        readonly FrozenClassifier? _previousFrozen;
        readonly Preparation? _previousActive;
        readonly ScalarType _previousDtype;
        readonly bool _wasTraining;
        readonly Dictionary<string, bool> _requiresGrad = new(StringComparer.Ordinal);
        Dictionary<string, Tensor>? _saved;

        public Preparation(nn.Module<Tensor, Tensor> model, ExecutionState state, Precision precision)
        {
            _model = model;
            _state = state;
            _previousFrozen = state.Frozen;
            _previousActive = state.Active;
            _previousDtype = state.Current;
            state.Frozen = null;
            state.Active = this;
            _wasTraining = model.training;
            model.eval();
            foreach (var (name, p) in model.named_parameters())
            {
                _requiresGrad[name] = p.requires_grad;
                p.requires_grad = false;
            }
            if (precision == Precision.Bf16) ConvertTo(ScalarType.BFloat16);
        }

        /// <summary>Runs the module in float64 until this preparation ends.</summary>
        public void SwitchToFloat64() => ConvertTo(ScalarType.Float64);

        void ConvertTo(ScalarType dtype)
        {
            if (_state.Current == dtype) return;
            _saved ??= _model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());
            _model.to(dtype);
            foreach (var p in _model.parameters()) p.requires_grad = false;
            _state.Current = dtype;
        }

        public void Dispose()
        {
            _state.Frozen = _previousFrozen;
            _state.Active = _previousActive;
            if (_saved is not null)
            {
                _model.to(_previousDtype);
                using (no_grad())
                {
                    foreach (var (name, tensor) in _model.state_dict())
                        if (_saved.TryGetValue(name, out var saved)) tensor.copy_(saved);
                }
                foreach (var saved in _saved.Values) saved.Dispose();
                _state.Current = _previousDtype;
            }
            // Converting dtypes replaces the parameter objects, so they are found again by name.
            foreach (var (name, p) in _model.named_parameters())
                if (_requiresGrad.TryGetValue(name, out var requiresGrad)) p.requires_grad = requiresGrad;
            if (_wasTraining) _model.train();
        }
    }
}
