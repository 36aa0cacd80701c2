using Maskbench.Masks.Sources;
using Maskbench.Masks;

namespace Maskbench.Tests.Masks;

public class RandomTwinTests
{
    static byte[] Masks(int count, int size)
    {
        var random = new Random(5);
        var masks = new byte[count * size * size];
        for (int i = 0; i < count; i++)
        {
            // A centred disc of varying radius, like a segmented sign; image 3 is empty, image 4 full.
            double radius = i == 3 ? -1 : i == 4 ? size : 1 + random.Next(size / 2);
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++)
                    masks[(i * size + y) * size + x] = (byte)(Math.Pow(x - size / 2.0, 2) + Math.Pow(y - size / 2.0, 2) <= radius * radius ? 1 : 0);
        }
        return masks;
    }

    [Fact]
    public void TwinHasTheSamePixelCountPerImageElsewhere()
    {
        const int count = 12, size = 16;
        var masks = Masks(count, size);
        var twin = MaskSource.RandomTwin.Twin(masks, count, size, seed: 1);
        int overlapTotal = 0, foregroundTotal = 0;
        for (int i = 0; i < count; i++)
        {
            var m = masks.AsSpan(i * size * size, size * size);
            var t = twin.AsSpan(i * size * size, size * size);
            int mc = 0, tc = 0, overlap = 0;
            for (int p = 0; p < m.Length; p++)
            {
                mc += m[p]; tc += t[p];
                Assert.True(t[p] is 0 or 1);
                if (m[p] == 1 && t[p] == 1) overlap++;
            }
            Assert.Equal(mc, tc);
            overlapTotal += overlap; foregroundTotal += mc;
        }
        // Random places: the overlap with the true mask is far from complete (a copy of the mask would give 100%).
        Assert.InRange(overlapTotal / (double)foregroundTotal, 0.0, 0.8);
    }

    [Fact]
    public void DeterministicPerSeedAndIndependentOfBatching()
    {
        const int count = 8, size = 12;
        var masks = Masks(count, size);
        var whole = MaskSource.RandomTwin.Twin(masks, count, size, seed: 3);
        Assert.Equal(whole, MaskSource.RandomTwin.Twin(masks, count, size, seed: 3));
        Assert.NotEqual(whole, MaskSource.RandomTwin.Twin(masks, count, size, seed: 4));
        int half = count / 2 * size * size;
        var first = MaskSource.RandomTwin.Twin(masks.AsSpan(0, half), count / 2, size, seed: 3, firstIndex: 0);
        var second = MaskSource.RandomTwin.Twin(masks.AsSpan(half), count / 2, size, seed: 3, firstIndex: count / 2);
        Assert.Equal(whole, first.Concat(second).ToArray());
    }
}
