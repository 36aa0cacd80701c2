using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Maskbench.Data.Images;

/// <summary>
/// The exact resize for size pairs where every output pixel takes at most two adjacent source pixels along each axis
/// (bilinear upscaling; an axis kept as it is), in 16-bit lanes as OpenCV's INTER_LINEAR is, but with exact weights:
/// each axis's integer weights are divided by their common divisor (a 32→64 axis weighs in quarters), so the sums
/// stay small. The bytes are those of the rational formula, as on <see cref="ImageResize"/>'s other paths.
/// <para>Horizontal pass, once per source row: per 8 output values a byte shuffle picks both taps from one 16-byte
/// window of the row, interleaved, and a multiply-add of unsigned bytes by signed byte weights gives w_a·a + w_b·b in
/// 16 bits (exact while the across denominator Dx is at most 127). Vertical pass, per output row, from the two
/// horizontal rows it needs, kept in a two-row ring so each source row is done once and the working set stays in L1:
/// where D = Dx·Dy is a power of two and 255·D fits in 16 bits, the sum and the rounding ⌊(S + D/2) / D⌋ stay in
/// 16-bit lanes; otherwise a 16-bit multiply-add gives 2S in 32 bits, and ⌊(2S + D) / 2D⌋ is a shift or a
/// <see cref="VectorDivision"/>.</para>
/// </summary>
internal static class TwoTapResize
{
    /// <summary>
    /// The horizontal pass of one size pair for interleaved RGB rows: per output value j = 3x + c the first tap's byte
    /// index and the reduced weights of both taps (the scalar loop's), and per block of 8 values the 16-byte window's
    /// offset in the row (moved left at the row's end, so no read passes it), the offset of the block's first value
    /// (the last block overlaps its neighbour when the row is not a multiple of 8), a shuffle interleaving both taps
    /// from the window, and the weights interleaved as signed bytes.
    /// </summary>
    internal sealed class AcrossPlan
    {
        public required int Denominator { get; init; }
        public required int[] Index { get; init; }
        public required short[] WeightA { get; init; }
        public required short[] WeightB { get; init; }
        public required int[] WindowOffset { get; init; }
        public required int[] OutputOffset { get; init; }
        public required byte[] Shuffle { get; init; }
        public required sbyte[] WeightBytes { get; init; }

        /// <summary>
        /// Null where the plan does not apply: an output taking three or more pixels, a reduced denominator above 127
        /// (the weights are signed bytes and 255·Dx must not saturate 16 bits), a source or output row under 16 bytes,
        /// or a block of 8 values whose taps do not fit in one 16-byte window.
        /// </summary>
        public static AcrossPlan? Build(AxisWeights across)
        {
            int rowLength = across.Length * 3, sourceRow = across.SourceLength * 3;
            if (across.MaxCount > 2 || sourceRow < 16 || rowLength < 16) return null;
            var (denominator, numerators) = across.Reduced();
            if (denominator > 127) return null;
            var index = new int[rowLength];
            var weightA = new short[rowLength];
            var weightB = new short[rowLength];
            for (int x = 0; x < across.Length; x++)
                for (int c = 0; c < 3; c++)
                {
                    index[3 * x + c] = 3 * across.Start[x] + c;
                    weightA[3 * x + c] = (short)numerators[x * across.Stride];
                    weightB[3 * x + c] = (short)(across.Count[x] == 2 ? numerators[x * across.Stride + 1] : 0);
                }
            int blocks = (rowLength + 7) / 8;
            var windowOffset = new int[blocks];
            var outputOffset = new int[blocks];
            var shuffle = new byte[blocks * 16];
            var weightBytes = new sbyte[blocks * 16];
            for (int k = 0; k < blocks; k++)
            {
                int first = Math.Min(8 * k, rowLength - 8);
                int low = int.MaxValue;
                for (int j = first; j < first + 8; j++) low = Math.Min(low, index[j]);
                int window = Math.Min(low, sourceRow - 16);
                outputOffset[k] = first;
                windowOffset[k] = window;
                for (int v = 0; v < 8; v++)
                {
                    int j = first + v, a = index[j] - window, b = a + 3;
                    if (a >= 16 || (weightB[j] != 0 && b >= 16)) return null;
                    shuffle[16 * k + 2 * v] = (byte)a;
                    shuffle[16 * k + 2 * v + 1] = weightB[j] == 0 ? (byte)0x80 : (byte)b;
                    weightBytes[16 * k + 2 * v] = (sbyte)weightA[j];
                    weightBytes[16 * k + 2 * v + 1] = (sbyte)weightB[j];
                }
            }
            return new AcrossPlan
            {
                Denominator = denominator, Index = index, WeightA = weightA, WeightB = weightB,
                WindowOffset = windowOffset, OutputOffset = outputOffset, Shuffle = shuffle, WeightBytes = weightBytes,
            };
        }
    }

    /// <summary>
    /// Whether this path takes the size pair: a horizontal plan exists and every output row takes at most two source
    /// rows, with a reduced vertical denominator whose doubled weights fit in 16-bit lanes.
    /// </summary>
    public static bool Applies(AxisWeights across, AxisWeights down) =>
        down.MaxCount <= 2 && down.Reduced().Denominator <= 16383 && across.TwoTapAcross() is not null;

    /// <summary>
    /// Resizes <paramref name="source"/> (whose size is the axes' source lengths) where <see cref="Applies"/>;
    /// <paramref name="vectors"/> false runs the scalar loops instead, which the tests compare.
    /// </summary>
    [SkipLocalsInit]
    public static unsafe RgbImage Resize(RgbImage source, AxisWeights across, AxisWeights down, bool vectors = true)
    {
        var plan = across.TwoTapAcross() ?? throw new ArgumentException("the across axis has no two-tap plan", nameof(across));
        var (dy, rowWeights) = down.Reduced();
        int denominator = plan.Denominator * dy;
        int width = across.Length, height = down.Length, rowLength = width * 3, sourceRow = source.Width * 3;
        var result = new RgbImage(width, height, GC.AllocateUninitializedArray<byte>(rowLength * height));
        bool simd = vectors && Avx2.IsSupported;
        int ringLength = 2 * rowLength;
        ushort[]? rented = ringLength > 4096 ? System.Buffers.ArrayPool<ushort>.Shared.Rent(ringLength) : null;
        Span<ushort> ring = rented is null ? stackalloc ushort[ringLength] : rented;
        var vertical = new Vertical(denominator);
        try
        {
            int evenRow = -1, oddRow = -1;   // the source row each half of the ring holds (rows alternate by parity)
            fixed (byte* pixels = source.Pixels, output = result.Pixels)
            fixed (ushort* rows = ring)
                for (int y = 0; y < height; y++)
                {
                    int a = down.Start[y];
                    bool two = down.Count[y] == 2;
                    int b = two ? a + 1 : a;
                    for (int t = 0; t < 2; t++)
                    {
                        int r = t == 0 ? a : b;
                        ref int held = ref (r & 1) == 0 ? ref evenRow : ref oddRow;
                        if (held == r) continue;
                        ushort* target = rows + (r & 1) * rowLength;
                        if (simd) Horizontal(plan, pixels + r * sourceRow, target);
                        else HorizontalScalar(plan, pixels + r * sourceRow, target, rowLength);
                        held = r;
                    }
                    short wa = (short)rowWeights[y * down.Stride], wb = (short)(two ? rowWeights[y * down.Stride + 1] : 0);
                    ushort* rowA = rows + (a & 1) * rowLength, rowB = rows + (b & 1) * rowLength;
                    byte* o = output + y * rowLength;
                    if (simd) vertical.Row(rowA, rowB, wa, wb, o, rowLength);
                    else vertical.RowScalar(rowA, rowB, wa, wb, o, rowLength);
                }
        }
        finally
        {
            if (rented is not null) System.Buffers.ArrayPool<ushort>.Shared.Return(rented);
        }
        return result;
    }

    static unsafe void HorizontalScalar(AcrossPlan plan, byte* s, ushort* o, int rowLength)
    {
        int[] index = plan.Index;
        short[] weightA = plan.WeightA, weightB = plan.WeightB;
        for (int j = 0; j < rowLength; j++)
        {
            int i = index[j];
            o[j] = (ushort)(weightA[j] * s[i] + (weightB[j] == 0 ? 0 : weightB[j] * s[i + 3]));
        }
    }

    /// <summary>One source row, two blocks of 8 values per AVX2 shuffle and multiply-add.</summary>
    static unsafe void Horizontal(AcrossPlan plan, byte* s, ushort* o)
    {
        int blocks = plan.WindowOffset.Length, k = 0;
        fixed (int* windows = plan.WindowOffset, outputs = plan.OutputOffset)
        fixed (byte* shuffle = plan.Shuffle)
        fixed (sbyte* weights = plan.WeightBytes)
        {
            for (; k + 2 <= blocks; k += 2)
            {
                var window = Vector256.Create(Sse2.LoadVector128(s + windows[k]), Sse2.LoadVector128(s + windows[k + 1]));
                var taps = Avx2.Shuffle(window, Avx.LoadVector256(shuffle + 16 * k));
                var sums = Avx2.MultiplyAddAdjacent(taps, Avx.LoadVector256(weights + 16 * k)).AsUInt16();
                Sse2.Store(o + outputs[k], sums.GetLower());
                Sse2.Store(o + outputs[k + 1], sums.GetUpper());
            }
            if (k < blocks)
            {
                var taps = Ssse3.Shuffle(Sse2.LoadVector128(s + windows[k]), Sse2.LoadVector128(shuffle + 16 * k));
                Sse2.Store(o + outputs[k], Ssse3.MultiplyAddAdjacent(taps, Sse2.LoadVector128(weights + 16 * k)).AsUInt16());
            }
        }
    }

    /// <summary>The vertical pass and its rounding for one combined denominator D = Dx·Dy.</summary>
    readonly struct Vertical(int denominator)
    {
        readonly int _denominator = denominator;

        /// <summary>D a power of two, at least 2, with 255·D + D/2 below 2^16: the sum and its rounding stay in 16 bits.</summary>
        bool SixteenBits => _denominator >= 2 && (_denominator & (_denominator - 1)) == 0 && 255 * _denominator + _denominator / 2 < 65536;

        public unsafe void RowScalar(ushort* a, ushort* b, int wa, int wb, byte* o, int rowLength)
        {
            long d = _denominator;
            for (int i = 0; i < rowLength; i++)
                o[i] = (byte)((2L * (wa * a[i] + wb * b[i]) + d) / (2 * d));
        }

        /// <summary>
        /// One output row (at least 16 values; the last block of a row that is not a multiple of the block overlaps its
        /// neighbour and writes the same bytes again). <paramref name="a"/> and <paramref name="b"/> hold at most
        /// 255·127, so they are valid signed 16-bit values for the multiply-add.
        /// </summary>
        public unsafe void Row(ushort* a, ushort* b, short wa, short wb, byte* o, int rowLength)
        {
            if (SixteenBits && rowLength >= 32)
            {
                var va = Vector256.Create((ushort)wa);
                var vb = Vector256.Create((ushort)wb);
                var half = Vector256.Create((ushort)(_denominator / 2));
                int bits = System.Numerics.BitOperations.Log2((uint)_denominator);
                for (int i = 0; ; i += 32)
                {
                    if (i > rowLength - 32) i = rowLength - 32;
                    var low = (Vector256.Load(a + i) * va + Vector256.Load(b + i) * vb + half) >>> bits;
                    var high = (Vector256.Load(a + i + 16) * va + Vector256.Load(b + i + 16) * vb + half) >>> bits;
                    Vector256.Narrow(low, high).Store(o + i);
                    if (i == rowLength - 32) return;
                }
            }
            // 2S = 2·wa·a + 2·wb·b by one multiply-add over interleaved (a, b) pairs (2w ≤ 32766).
            var pair = Vector256.Create((int)((uint)(ushort)(2 * wa) | ((uint)(ushort)(2 * wb) << 16))).AsInt16();
            var d = Vector256.Create(_denominator);
            int twice = 2 * _denominator, shift = (twice & (twice - 1)) == 0 ? System.Numerics.BitOperations.Log2((uint)twice) : -1;
            var division = new VectorDivision(twice);
            for (int i = 0; ; i += 16)
            {
                if (i > rowLength - 16) i = rowLength - 16;
                var va = Avx.LoadVector256((short*)a + i);
                var vb = Avx.LoadVector256((short*)b + i);
                var low = Avx2.Add(Avx2.MultiplyAddAdjacent(Avx2.UnpackLow(va, vb), pair), d);
                var high = Avx2.Add(Avx2.MultiplyAddAdjacent(Avx2.UnpackHigh(va, vb), pair), d);
                if (shift >= 0) (low, high) = (low >>> shift, high >>> shift);
                else (low, high) = (division.Divide(low), division.Divide(high));
                var words = Avx2.PackSignedSaturate(low, high);   // per 128-bit lane, which undoes the unpacking's order
                var bytes = Avx2.PackUnsignedSaturate(words, words).AsUInt64();
                Sse2.Store(o + i, Avx2.Permute4x64(bytes, 0b10_00_10_00).AsByte().GetLower());
                if (i == rowLength - 16) return;
            }
        }
    }
}
