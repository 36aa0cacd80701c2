namespace Maskbench.Data;

/// <summary>
/// Seeds for independent pieces of work (one image, one track) derived from a base seed and the piece's keys, so
/// that results do not depend on the order or the thread in which the pieces run. Mixing is
/// <see cref="SplitMix64"/>'s finaliser.
/// </summary>
public static class DerivedSeed
{
    public static int Of(int seed, params ReadOnlySpan<int> keys)
    {
        ulong state = SplitMix64.Next((uint)seed);
        foreach (int key in keys) state = SplitMix64.Mix(state ^ ((ulong)(uint)key + SplitMix64.Golden));
        return (int)(state & 0x7FFFFFFF);
    }
}
