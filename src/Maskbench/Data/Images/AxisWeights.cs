using System.Runtime.CompilerServices;

namespace Maskbench.Data.Images;

/// <summary>
/// One axis of a separable resampling: output index i is Σ Weight[i][t] · source[Start[i] + t]. A 2-D resize is the
/// product of two such axes, which for area averaging is exactly the 2-D overlap area (rectangles are separable).
/// </summary>
internal sealed class AxisWeights
{
    public int[] Start { get; }
    public int[] Count { get; }
    /// <summary>Row i holds Count[i] weights at offset i · Stride.</summary>
    public double[] Weights { get; }
    /// <summary>The same weights as integers over <see cref="Denominator"/>: Weights[k] = Numerators[k] / Denominator exactly.</summary>
    public int[] Numerators { get; }
    public int Denominator { get; private set; }
    public int Stride { get; }
    public int Length => Start.Length;
    /// <summary>The number of source pixels along the axis.</summary>
    public int SourceLength { get; }

    AxisWeights(int source, int length, int stride)
    {
        SourceLength = source;
        Start = new int[length];
        Count = new int[length];
        Stride = stride;
        Weights = new double[length * stride];
        Numerators = new int[length * stride];
    }

    // The lazily computed tables are boxed: a box is published to other threads whole, a nullable tuple could tear.
    StrongBox<(int[] Index, int[] WeightA, int[] WeightB)>? _taps3;

    /// <summary>
    /// For two-tap axes over interleaved RGB: per output value j = 3x + c, the source value index 3·Start[x] + c and the
    /// numerators of the taps at it and 3 values on (a one-tap output has weight 0 on the second).
    /// </summary>
    public (int[] Index, int[] WeightA, int[] WeightB) InterleavedTaps3()
    {
        if (_taps3 is { } taps) return taps.Value;
        if (Stride != 2) throw new InvalidOperationException("not a two-tap axis");
        int n = Length * 3;
        var index = new int[n];
        var a = new int[n];
        var b = new int[n];
        for (int x = 0; x < Length; x++)
            for (int c = 0; c < 3; c++)
            {
                index[3 * x + c] = 3 * Start[x] + c;
                a[3 * x + c] = Numerators[2 * x];
                b[3 * x + c] = Count[x] == 2 ? Numerators[2 * x + 1] : 0;
            }
        return (_taps3 = new((index, a, b))).Value;
    }

    StrongBox<(int[] Base, byte[] ShuffleA, byte[] ShuffleB, bool Fits)>? _blocks3;

    /// <summary>
    /// For two-tap axes over interleaved RGB, in blocks of 8 output values: the byte offset of a 16-byte window of the
    /// source row, and per value the position in that window of its first tap and of its second (3 bytes on; 0x80 where the
    /// second tap has weight 0). <c>Fits</c> is false when some block's taps do not fit in 16 bytes (then use
    /// <see cref="InterleavedTaps3"/>).
    /// </summary>
    public (int[] Base, byte[] ShuffleA, byte[] ShuffleB, bool Fits) InterleavedBlocks3()
    {
        if (_blocks3 is { } blocks) return blocks.Value;
        var (index, _, b) = InterleavedTaps3();
        int count = index.Length / 8;
        var bases = new int[count];
        var shuffleA = new byte[count * 16];
        var shuffleB = new byte[count * 16];
        bool fits = true;
        for (int k = 0; k < count; k++)
        {
            int first = int.MaxValue;
            for (int v = 0; v < 8; v++) first = Math.Min(first, index[8 * k + v]);
            bases[k] = first;
            for (int v = 0; v < 16; v++) shuffleA[16 * k + v] = shuffleB[16 * k + v] = 0x80;
            for (int v = 0; v < 8; v++)
            {
                int a = index[8 * k + v] - first;
                if (a < 0 || a + 3 >= 16) { fits = false; continue; }
                shuffleA[16 * k + v] = (byte)a;
                shuffleB[16 * k + v] = b[8 * k + v] == 0 ? (byte)0x80 : (byte)(a + 3);
            }
        }
        return (_blocks3 = new((bases, shuffleA, shuffleB, fits))).Value;
    }

    StrongBox<(int Denominator, int[] Numerators)>? _reduced;

    /// <summary>The numerators and denominator divided by their greatest common divisor (a 32→64 axis: quarters).</summary>
    public (int Denominator, int[] Numerators) Reduced()
    {
        if (_reduced is { } reduced) return reduced.Value;
        int g = Denominator;
        for (int i = 0; i < Length; i++)
            for (int t = 0; t < Count[i]; t++) g = Gcd(g, Numerators[i * Stride + t]);
        return (_reduced = new((Denominator / g, Array.ConvertAll(Numerators, n => n / g)))).Value;
    }

    static int Gcd(int a, int b)
    {
        while (b != 0) (a, b) = (b, a % b);
        return a;
    }

    /// <summary>The most source pixels any output pixel takes.</summary>
    public int MaxCount => _maxCount > 0 ? _maxCount : _maxCount = Count.Max();
    int _maxCount;

    StrongBox<TwoTapResize.AcrossPlan?>? _twoTapAcross;

    /// <summary>The horizontal plan of <see cref="TwoTapResize"/> for interleaved RGB rows, or null where it does not apply.</summary>
    public TwoTapResize.AcrossPlan? TwoTapAcross() => (_twoTapAcross ??= new(TwoTapResize.AcrossPlan.Build(this))).Value;

    static readonly System.Collections.Concurrent.ConcurrentDictionary<(int Kind, int Source, int Target), AxisWeights> Cache = new();

    /// <summary>The weights of an image axis (area when shrinking or equal, linear when growing), computed once per size pair.</summary>
    public static AxisWeights ForImage(int source, int target)
    {
        if (source > 4096 || target > 4096) return target <= source ? Area(source, target) : Linear(source, target);
        return Cache.GetOrAdd((target <= source ? 0 : 1, source, target), k => k.Kind == 0 ? Area(k.Source, k.Target) : Linear(k.Source, k.Target));
    }

    /// <summary>
    /// Area averaging for <paramref name="target"/> ≤ <paramref name="source"/>: output pixel i covers
    /// [i·s/t, (i+1)·s/t) in source pixels; each source pixel k counts with the length of its overlap divided by s/t.
    /// Computed in units of 1/t so the overlaps are integers and only the final division rounds.
    /// </summary>
    public static AxisWeights Area(int source, int target)
    {
        int stride = (source + target - 1) / target + 1;
        var axis = new AxisWeights(source, target, stride) { Denominator = source };
        for (int i = 0; i < target; i++)
        {
            long lo = (long)i * source, hi = (long)(i + 1) * source;
            int first = (int)(lo / target), last = (int)((hi - 1) / target);
            axis.Start[i] = first;
            axis.Count[i] = last - first + 1;
            for (int k = first; k <= last; k++)
            {
                long overlap = Math.Min(hi, (long)(k + 1) * target) - Math.Max(lo, (long)k * target);
                axis.Weights[i * stride + k - first] = (double)overlap / source;
                axis.Numerators[i * stride + k - first] = (int)overlap;
            }
        }
        return axis;
    }

    /// <summary>
    /// Linear interpolation with pixel centres at half-integers, as OpenCV's INTER_LINEAR: output i samples source
    /// position (i + ½)·s/t − ½, clamped to [0, s−1] (edge pixels are replicated).
    /// </summary>
    public static AxisWeights Linear(int source, int target)
    {
        var axis = new AxisWeights(source, target, 2) { Denominator = checked(2 * target) };
        long denominator = 2L * target;
        for (int i = 0; i < target; i++)
        {
            long numerator = (2L * i + 1) * source - target;   // position · denominator
            int k0;
            double fraction;
            if (numerator <= 0) { k0 = 0; fraction = 0; }
            else
            {
                k0 = (int)(numerator / denominator);
                fraction = (double)(numerator - k0 * denominator) / denominator;
                if (k0 >= source - 1) { k0 = source - 1; fraction = 0; }
            }
            axis.Start[i] = k0;
            axis.Count[i] = fraction == 0 ? 1 : 2;
            axis.Weights[i * 2] = 1 - fraction;
            axis.Weights[i * 2 + 1] = fraction;
            int remainder = fraction == 0 ? 0 : (int)(numerator - k0 * denominator);
            axis.Numerators[i * 2] = (int)denominator - remainder;
            axis.Numerators[i * 2 + 1] = remainder;
        }
        return axis;
    }

    /// <summary>Nearest neighbour with half-pixel centres: output i takes source ⌊(i + ½)·s/t⌋.</summary>
    public static AxisWeights Nearest(int source, int target)
    {
        var axis = new AxisWeights(source, target, 1) { Denominator = 1 };
        for (int i = 0; i < target; i++)
        {
            axis.Numerators[i] = 1;
            axis.Start[i] = (int)((2L * i + 1) * source / (2L * target));
            axis.Count[i] = 1;
            axis.Weights[i] = 1;
        }
        return axis;
    }
}
