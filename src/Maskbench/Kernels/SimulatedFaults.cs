using static TorchSharp.torch;

namespace Maskbench.Kernels;

/// <summary>A deliberately wrong kernel, to see the check and the routes at work on a machine whose kernels are right.</summary>
public enum SimulatedKernelFault
{
    None,

    /// <summary>
    /// The failure seen on an AMD EPYC (family 26) with libtorch 2.10's oneDNN: the input gradient of a convolution is
    /// wrong when the batch has 2 or more images and the output channels are not a multiple of 16; the forward pass and
    /// the weight gradient are right.
    /// </summary>
    BackwardInput,
}

internal static class SimulatedFaults
{
    /// <summary>Environment variable that turns a simulated fault on for a whole process (value: <c>backward-input</c>).</summary>
    public const string Variable = "MASKBENCH_SIMULATE_KERNEL_FAULT";

    public static SimulatedKernelFault FromEnvironment()
    {
        string? value = Environment.GetEnvironmentVariable(Variable);
        return value switch
        {
            null or "" or "none" => SimulatedKernelFault.None,
            "backward-input" => SimulatedKernelFault.BackwardInput,
            _ => throw new MaskbenchException($"{Variable}={value}: expected none or backward-input"),
        };
    }

    public static string Name(SimulatedKernelFault fault) => fault switch
    {
        SimulatedKernelFault.BackwardInput => "backward-input",
        _ => "none",
    };

    /// <summary>
    /// <paramref name="output"/> with a term added whose value is exactly zero and whose gradient is not: z − detach(z),
    /// z a convolution with other filters. The forward pass is unchanged and the input gradient is wrong, as in the fault seen.
    /// </summary>
    public static Tensor Apply(Tensor output, Tensor input, Tensor weight, ConvolutionGeometry geometry)
    {
        // float64 convolutions do not run in oneDNN, so the fault (like the one seen) never touches them.
        if (KernelChecks.Fault != SimulatedKernelFault.BackwardInput || input.dtype == ScalarType.Float64 || input.shape[0] < 2
            || weight.shape[0] % 16 == 0) return output;
        using var scope = NewDisposeScope();
        using var other = weight.detach().roll(1, 0).mul(0.75);
        var z = nn.functional.conv2d(input, other, null, geometry.Strides, geometry.Paddings, geometry.Dilations, geometry.Groups);
        return output.add(z.sub(z.detach())).MoveToOuterDisposeScope();
    }
}
