using TorchSharp;
using static TorchSharp.torch;

namespace Maskbench.Tests.Support;

/// <summary>
/// Draws a module's weights again from a generator of its own, with libtorch's default initialization (a convolution's
/// or linear layer's weight and bias uniform in ±1/√fan-in; batch norm's scale 1 and shift 0 left as they are). A
/// fixture seeded through <c>manual_seed</c> draws from the process's global generator, which a test running beside it
/// may draw from in between: the fixture's numbers then change from run to run.
/// </summary>
static class SeededWeights
{
    public static T Apply<T>(T module, int seed) where T : nn.Module
    {
        using var generator = new Generator((ulong)(uint)seed, CPU);
        var parameters = module.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using (no_grad())
            foreach (var (name, parameter) in parameters)
            {
                // A 1-d weight is batch norm's scale; a bias belongs to the weight beside it.
                string weightName = name.EndsWith(".bias", StringComparison.Ordinal) ? name[..^".bias".Length] + ".weight" : name;
                if (!parameters.TryGetValue(weightName, out var weight) || weight.dim() < 2) continue;
                double bound = 1 / Math.Sqrt(weight.numel() / weight.shape[0]);
                parameter.uniform_(-bound, bound, generator);
            }
        return module;
    }
}
