using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Maskbench.Data.Images;

namespace Maskbench.Tests.Data.Images;

public class VectorDivisionTests
{
    /// <summary>
    /// Against integer division, at the values where a float estimate goes wrong: each multiple of the divisor and its
    /// neighbours, for divisors up to those the resizers allow (sums to 2^31 − 1, quotients up to 256).
    /// </summary>
    [SkippableFact]
    public void EqualsIntegerDivisionAtEveryBoundary()
    {
        Skip.IfNot(Avx2.IsSupported, "AVX2 is not available");
        var random = new Random(3);
        var divisors = new List<int> { 2, 3, 6, 254, 255, 289, 1000, 2048, 4_194_303, (int)(int.MaxValue / 256.5) };
        for (int i = 0; i < 200; i++) divisors.Add(2 + random.Next(8_000_000));
        var values = new int[8];
        foreach (int d in divisors)
        {
            var division = new VectorDivision(d);
            for (long k = 0; k <= 256; k++)
            {
                for (int v = 0; v < 8; v++)
                {
                    long n = k * d + (v - 3);   // the multiple, three below, four above
                    values[v] = (int)Math.Clamp(n, 0, int.MaxValue);
                }
                var quotients = division.Divide(Vector256.Create(values));
                for (int v = 0; v < 8; v++)
                    Assert.True(quotients[v] == values[v] / d, $"{values[v]} / {d}: got {quotients[v]}");
            }
        }
    }
}
