namespace Maskbench.Masks;

/// <summary>Morphological clean-up of a 0/1 label grid: the largest 4-connected component, and hole filling.</summary>
public static class MaskCleanup
{
    /// <summary>Keeps only the largest 4-connected component of value 1 (the first found among equals).</summary>
    public static void KeepLargestComponent(byte[] labels, int width, int height)
    {
        var component = new int[labels.Length];   // 0: not visited; otherwise component id
        var queue = new int[labels.Length];
        int id = 0, bestId = 0, bestSize = 0;
        for (int p = 0; p < labels.Length; p++)
        {
            if (labels[p] == 0 || component[p] != 0) continue;
            int size = Flood(labels, width, height, p, 1, component, ++id, queue);
            if (size > bestSize) { bestSize = size; bestId = id; }
        }
        for (int p = 0; p < labels.Length; p++)
            if (labels[p] != 0 && component[p] != bestId) labels[p] = 0;
    }

    /// <summary>Sets to 1 every 4-connected region of 0 that does not touch the image border.</summary>
    public static void FillHoles(byte[] labels, int width, int height)
    {
        var outside = new int[labels.Length];
        var queue = new int[labels.Length];
        for (int x = 0; x < width; x++)
        {
            Seed(x, 0);
            Seed(x, height - 1);
        }
        for (int y = 0; y < height; y++)
        {
            Seed(0, y);
            Seed(width - 1, y);
        }
        for (int p = 0; p < labels.Length; p++)
            if (labels[p] == 0 && outside[p] == 0) labels[p] = 1;

        void Seed(int x, int y)
        {
            int p = y * width + x;
            if (labels[p] == 0 && outside[p] == 0) Flood(labels, width, height, p, 0, outside, 1, queue);
        }
    }

    static int Flood(byte[] labels, int width, int height, int start, byte value, int[] mark, int id, int[] queue)
    {
        int head = 0, tail = 0;
        queue[tail++] = start;
        mark[start] = id;
        while (head < tail)
        {
            int p = queue[head++];
            int x = p % width, y = p / width;
            if (x > 0) Visit(p - 1);
            if (x < width - 1) Visit(p + 1);
            if (y > 0) Visit(p - width);
            if (y < height - 1) Visit(p + width);
        }
        return tail;

        void Visit(int q)
        {
            if (labels[q] == value && mark[q] == 0) { mark[q] = id; queue[tail++] = q; }
        }
    }
}
