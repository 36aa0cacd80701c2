namespace Maskbench.Data;

/// <summary>
/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014): the golden-ratio
/// increment and the finaliser that turns a counter into well-mixed bits. Used to derive independent seeds from keys,
/// since <see cref="HashCode"/> is randomized per process.
/// </summary>
public static class SplitMix64
{
    /// <summary>The generator's increment, 2^64 / φ.</summary>
    public const ulong Golden = 0x9E3779B97F4A7C15UL;

    /// <summary>The finaliser (a bijection of 64-bit values).</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>One step from <paramref name="state"/>: the next output of a generator at that state.</summary>
    public static ulong Next(ulong state) => Mix(state + Golden);
}
