using static TorchSharp.torch;

namespace Maskbench.Kernels;

/// <summary>
/// Deliberately wrong kernels, to see the check and the routes at work on a machine whose kernels are right. Each
/// member is one failure seen on an AMD EPYC (family 26) with libtorch 2.10's oneDNN v3.7.1
/// (../shared/tools/onednn-conv-probe); they combine, and <see cref="AmdEpyc"/> is all of them.
/// </summary>
[Flags]
public enum SimulatedKernelFault
{
    None = 0,

    /// <summary>
    /// float32: the input gradient is wrong when the batch has 2 or more images and the output channels are not a
    /// multiple of 16; the forward pass and the weight gradient are right.
    /// </summary>
    BackwardInput = 1,

    /// <summary>float32 channels-last with one input channel (the MNIST small CNN's first layer): the forward pass is wrong.</summary>
    ChannelsLastOneInput = 2,

    /// <summary>
    /// bfloat16 with 2 or more images: the forward pass is wrong when the output channels are not a multiple of 16, the
    /// input gradient when they are not a multiple of 32 (backward-data failed even at 16).
    /// </summary>
    BFloat16 = 4,

    /// <summary>Every failure seen on that machine.</summary>
    AmdEpyc = BackwardInput | ChannelsLastOneInput | BFloat16,
}

internal static class SimulatedFaults
{
    /// <summary>
    /// Environment variable that turns simulated faults on for a whole process: <c>none</c>, or a comma-separated list
    /// of <c>backward-input</c>, <c>channels-last-one-input</c>, <c>bfloat16</c>, or <c>amd-epyc</c> for all three.
    /// </summary>
    public const string Variable = "MASKBENCH_SIMULATE_KERNEL_FAULT";

    static readonly (string Name, SimulatedKernelFault Fault)[] Names =
    [
        ("backward-input", SimulatedKernelFault.BackwardInput),
        ("channels-last-one-input", SimulatedKernelFault.ChannelsLastOneInput),
        ("bfloat16", SimulatedKernelFault.BFloat16),
    ];

    public static SimulatedKernelFault FromEnvironment() => Parse(Environment.GetEnvironmentVariable(Variable));

    public static SimulatedKernelFault Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Trim() == "none") return SimulatedKernelFault.None;
        var fault = SimulatedKernelFault.None;
        foreach (string part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == "amd-epyc") { fault |= SimulatedKernelFault.AmdEpyc; continue; }
            var match = Names.FirstOrDefault(n => n.Name == part);
            if (match.Name is null)
                throw new MaskbenchException(
                    $"{Variable}={value}: expected none, amd-epyc or a comma-separated list of {string.Join(", ", Names.Select(n => n.Name))}");
            fault |= match.Fault;
        }
        return fault;
    }

    /// <summary>The spelling <see cref="Parse"/> reads back: <c>none</c>, <c>amd-epyc</c> or the members joined by commas.</summary>
    public static string Name(SimulatedKernelFault fault) =>
        fault == SimulatedKernelFault.None ? "none"
        : fault == SimulatedKernelFault.AmdEpyc ? "amd-epyc"
        : string.Join(",", Names.Where(n => fault.HasFlag(n.Fault)).Select(n => n.Name));

    /// <summary>
    /// <paramref name="output"/> as the simulated wrong kernels would give it. A wrong input gradient is a term added
    /// whose value is exactly zero and whose gradient is not (z − detach(z), z a convolution with other filters); a
    /// wrong forward pass adds z itself. float64 convolutions do not run in oneDNN, so no fault (like the ones seen)
    /// touches them.
    /// </summary>
    public static Tensor Apply(Tensor output, Tensor input, Tensor weight, ConvolutionGeometry geometry)
    {
        var fault = KernelChecks.Fault;
        if (fault == SimulatedKernelFault.None || input.dtype == ScalarType.Float64) return output;
        long batch = input.shape[0], cin = input.shape[1], cout = weight.shape[0];
        bool bf16 = input.dtype == ScalarType.BFloat16;
        bool wrongForward =
            (fault.HasFlag(SimulatedKernelFault.BFloat16) && bf16 && batch >= 2 && cout % 16 != 0)
            || (fault.HasFlag(SimulatedKernelFault.ChannelsLastOneInput) && !bf16 && cin == 1 && input.shape[2] * input.shape[3] > 1
                && (ConvolutionShape.LayoutOf(input) == TensorLayout.ChannelsLast || ConvolutionShape.LayoutOf(weight) == TensorLayout.ChannelsLast));
        bool wrongInputGradient =
            (fault.HasFlag(SimulatedKernelFault.BackwardInput) && !bf16 && batch >= 2 && cout % 16 != 0)
            || (fault.HasFlag(SimulatedKernelFault.BFloat16) && bf16 && batch >= 2 && cout % 32 != 0);
        if (!wrongForward && !wrongInputGradient) return output;
        using var scope = NewDisposeScope();
        using var other = weight.detach().roll(1, 0).mul(0.75);
        var z = nn.functional.conv2d(input, other, null, geometry.Strides, geometry.Paddings, geometry.Dilations, geometry.Groups);
        var wrong = wrongForward ? output.add(z.detach()) : output;
        if (wrongInputGradient) wrong = wrong.add(z.sub(z.detach()));
        return wrong.MoveToOuterDisposeScope();
    }
}
