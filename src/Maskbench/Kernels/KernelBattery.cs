using static TorchSharp.torch;

namespace Maskbench.Kernels;

/// <summary>
/// A standard set of convolution shapes for `maskbench doctor` and CI: the channel counts and batch sizes where wrong
/// kernels were seen (output channels 1, 4, 6, 8, 12, 20 beside 16 and 64; one input channel channels-last; bfloat16 at
/// 8 and 16 channels), and the other geometries the library's models use (5x5 of the small CNN, strided 3x3 and 1x1
/// of the residual network), each checked against float64 at the current thread count.
/// </summary>
public static class KernelBattery
{
    public static IReadOnlyList<ConvolutionShape> Shapes()
    {
        int threads = get_num_threads();
        var same = ConvolutionGeometry.Same(1, 1);
        var shapes = new List<ConvolutionShape>();
        ConvolutionShape Shape(string dtype, TensorLayout layout, int batch, int cin, int cout, int side, int k, ConvolutionGeometry g) =>
            new(dtype, layout, layout, batch, cin, cout, side, side, k, k, g, true, threads);
        foreach (int batch in new[] { 1, 2, 16 })
            foreach (int cin in new[] { 3, 8 })
                foreach (int cout in new[] { 1, 4, 6, 8, 12, 16, 20, 64 })
                    shapes.Add(Shape("float32", TensorLayout.Contiguous, batch, cin, cout, 16, 3, same));
        foreach (int cin in new[] { 1, 3 })
            foreach (int cout in new[] { 8, 16 })
                shapes.Add(Shape("float32", TensorLayout.ChannelsLast, 2, cin, cout, 16, 3, same));
        foreach (int batch in new[] { 2, 16 })
            foreach (int cout in new[] { 8, 16, 64 })
                shapes.Add(Shape("bfloat16", TensorLayout.ChannelsLast, batch, 3, cout, 16, 3, same));
        shapes.Add(Shape("float32", TensorLayout.ChannelsLast, 2, 1, 32, 28, 5, ConvolutionGeometry.Same(1, 2)));
        shapes.Add(Shape("float32", TensorLayout.Contiguous, 2, 8, 16, 16, 3, ConvolutionGeometry.Same(2, 1)));
        shapes.Add(Shape("float32", TensorLayout.Contiguous, 2, 8, 16, 16, 1, ConvolutionGeometry.Same(2, 0)));
        return shapes;
    }

    /// <summary>Checks every shape of the battery (from the cache where it already holds them) under the current policy.</summary>
    public static IReadOnlyList<KernelVerdict> Run(Action<int, int>? progress = null)
    {
        var shapes = Shapes();
        var verdicts = new List<KernelVerdict>(shapes.Count);
        foreach (var shape in shapes)
        {
            verdicts.Add(KernelChecks.For(shape));
            progress?.Invoke(verdicts.Count, shapes.Count);
        }
        return verdicts;
    }
}
