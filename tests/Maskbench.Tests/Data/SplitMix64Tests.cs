using Maskbench.Data;

namespace Maskbench.Tests.Data;

public class SplitMix64Tests
{
    /// <summary>The first outputs of SplitMix64 seeded with 0 and with 1234567, as the reference C code (Vigna's splitmix64.c) gives them.</summary>
    [Fact]
    public void Steps_match_the_reference_generator()
    {
        ulong state = 0;
        var fromZero = new ulong[3];
        for (int i = 0; i < 3; i++) { fromZero[i] = SplitMix64.Next(state); state += SplitMix64.Golden; }
        Assert.Equal([0xE220A8397B1DCDAFUL, 0x6E789E6AA1B965F4UL, 0x06C45D188009454FUL], fromZero);
        state = 1234567;
        var fromSeed = new ulong[2];
        for (int i = 0; i < 2; i++) { fromSeed[i] = SplitMix64.Next(state); state += SplitMix64.Golden; }
        Assert.Equal([6457827717110365317UL, 3203168211198807973UL], fromSeed);
    }
}
