namespace Maskbench.Data;

/// <summary>
/// Seeds for independent pieces of work (one image, one track) derived from a base seed and the piece's keys, so
/// that results do not depend on the order or the thread in which the pieces run. Mixing is SplitMix64's
/// finaliser (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014).
/// </summary>
public static class DerivedSeed
{
    public static int Of(int seed, params ReadOnlySpan<int> keys)
    {
        ulong state = Mix((ulong)(uint)seed + 0x9E3779B97F4A7C15UL);
        foreach (int key in keys) state = Mix(state ^ ((ulong)(uint)key + 0x9E3779B97F4A7C15UL));
        return (int)(state & 0x7FFFFFFF);
    }

    static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
