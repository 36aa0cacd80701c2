using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Maskbench.Data.Images;

/// <summary>
/// Exact ⌊n / d⌋ for eight non-negative 32-bit sums at once, where the quotient is a byte value (at most a few hundred):
/// the resizers' rounding ⌊(2S + D) / 2D⌋. A float estimate n·(1/d) is within one of the quotient (its relative error is
/// about 3·2^-24, far below 1/256), and one step on the remainder n − q·d corrects it; the remainder is small, so
/// computing it in wrapping 32-bit arithmetic gives it exactly.
/// </summary>
internal readonly struct VectorDivision(int divisor)
{
    readonly Vector256<int> _divisor = Vector256.Create(divisor);
    readonly Vector256<int> _divisorLessOne = Vector256.Create(divisor - 1);
    readonly Vector256<float> _reciprocal = Vector256.Create(1f / divisor);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<int> Divide(Vector256<int> n)
    {
        var q = Avx.ConvertToVector256Int32WithTruncation(Avx.Multiply(Avx.ConvertToVector256Single(n), _reciprocal));
        var r = Avx2.Subtract(n, Avx2.MultiplyLow(q, _divisor));
        q = Avx2.Subtract(q, Avx2.CompareGreaterThan(r, _divisorLessOne));     // r ≥ d: one more
        return Avx2.Add(q, Avx2.CompareGreaterThan(Vector256<int>.Zero, r));    // r < 0: one less
    }
}
