using static TorchSharp.torch;

namespace Maskbench.Kernels;

/// <summary>How a 4-d tensor lies in memory: NCHW (contiguous), NHWC (channels-last) or anything else.</summary>
public enum TensorLayout { Contiguous, ChannelsLast, Strided }

/// <summary>Stride, padding, dilation and groups of a 2-d convolution (zero padding).</summary>
public readonly record struct ConvolutionGeometry(int StrideH, int StrideW, int PadH, int PadW, int DilationH = 1, int DilationW = 1, int Groups = 1)
{
    public static ConvolutionGeometry Same(int stride, int padding) => new(stride, stride, padding, padding);

    public long[] Strides => [StrideH, StrideW];
    public long[] Paddings => [PadH, PadW];
    public long[] Dilations => [DilationH, DilationW];

    public long OutputSize(long input, long kernel, bool height) =>
        height ? (input + 2 * PadH - DilationH * (kernel - 1) - 1) / StrideH + 1
               : (input + 2 * PadW - DilationW * (kernel - 1) - 1) / StrideW + 1;
}

/// <summary>
/// What decides which libtorch kernel runs a convolution, and so what a kernel check must cover: element type, the
/// memory layouts of input and weight, the batch size class, channels, map size, kernel, geometry, bias, and the
/// intra-op thread count (oneDNN splits work by thread, and a wrong kernel was seen to answer differently with 2
/// threads). Batch sizes are grouped in classes (1, 2–15, 16–63, 64 and more); a class is probed at its smallest size.
/// </summary>
public readonly record struct ConvolutionShape(
    string DType, TensorLayout InputLayout, TensorLayout WeightLayout, int Batch, int InChannels, int OutChannels,
    int Height, int Width, int KernelHeight, int KernelWidth, ConvolutionGeometry Geometry, bool Bias, int Threads)
{
    /// <summary>The batch size class that <paramref name="batch"/> falls in, named by its smallest size.</summary>
    public static int BatchClass(long batch) => batch switch { <= 1 => 1, < 16 => 2, < 64 => 16, _ => 64 };

    /// <summary>The shape of a call about to run.</summary>
    public static ConvolutionShape Of(Tensor input, Tensor weight, Tensor? bias, ConvolutionGeometry geometry) => new(
        DTypeName(input.dtype), LayoutOf(input), LayoutOf(weight), BatchClass(input.shape[0]), (int)input.shape[1], (int)weight.shape[0],
        (int)input.shape[2], (int)input.shape[3], (int)weight.shape[2], (int)weight.shape[3], geometry, bias is not null, get_num_threads());

    public ScalarType ScalarType => DType switch
    {
        "float32" => ScalarType.Float32,
        "bfloat16" => ScalarType.BFloat16,
        "float64" => ScalarType.Float64,
        "float16" => ScalarType.Float16,
        _ => throw new MaskbenchException($"no kernel check for element type {DType}"),
    };

    public static string DTypeName(ScalarType type) => type switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float64 => "float64",
        ScalarType.Float16 => "float16",
        _ => type.ToString().ToLowerInvariant(),
    };

    /// <summary>
    /// The layout libtorch's convolution sees. It picks its kernels' memory format from the strides (ATen's
    /// <c>suggest_memory_format</c>), which tells an NHWC tensor from an NCHW one even where both count as contiguous
    /// because a dimension has size 1 (one input channel, a 1×1 map): so must the shape key, or a probe would check
    /// another kernel than the call runs.
    /// </summary>
    public static TensorLayout LayoutOf(Tensor t)
    {
        if (t.dim() == 4 && StridesLikeChannelsLast(t.shape, t.stride())) return TensorLayout.ChannelsLast;
        return t.is_contiguous() ? TensorLayout.Contiguous : TensorLayout.Strided;
    }

    /// <summary>
    /// c10's <c>is_channels_last_strides_2d_s4</c>: the strides, visited in the order C, W, H, N, never decrease, each
    /// at least the previous one times its size (size-1 dimensions skipped); ties fall back to NCHW.
    /// </summary>
    internal static bool StridesLikeChannelsLast(long[] sizes, long[] strides)
    {
        if (strides[1] == 0) return false;
        long min = 0;
        foreach (int d in (int[])[1, 3, 2, 0])
        {
            if (sizes[d] == 0 || strides[d] < min) return false;
            if (d == 0 && min == strides[1]) return false;
            min = strides[d];
            if (sizes[d] > 1) min *= sizes[d];
        }
        return true;
    }

    /// <summary>One line: "float32 nhwc/ohwi n2+ 3→8 32x32 k3x3 s1 p1 bias, 2 threads".</summary>
    public override string ToString()
    {
        string batch = Batch switch { 1 => "n1", 2 => "n2-15", 16 => "n16-63", _ => "n64+" };
        string geometry = Geometry.StrideH == Geometry.StrideW && Geometry.PadH == Geometry.PadW
            ? $"s{Geometry.StrideH} p{Geometry.PadH}" : $"s{Geometry.StrideH}x{Geometry.StrideW} p{Geometry.PadH}x{Geometry.PadW}";
        if (Geometry.DilationH != 1 || Geometry.DilationW != 1) geometry += $" d{Geometry.DilationH}x{Geometry.DilationW}";
        if (Geometry.Groups != 1) geometry += $" g{Geometry.Groups}";
        return $"{DType} {Name(InputLayout, "nchw", "nhwc")}/{Name(WeightLayout, "oihw", "ohwi")} {batch} {InChannels}→{OutChannels} " +
               $"{Height}x{Width} k{KernelHeight}x{KernelWidth} {geometry}{(Bias ? " bias" : "")}, {Threads} thread{(Threads == 1 ? "" : "s")}";
    }

    static string Name(TensorLayout layout, string contiguous, string channelsLast) =>
        layout switch { TensorLayout.Contiguous => contiguous, TensorLayout.ChannelsLast => channelsLast, _ => "strided" };
}
