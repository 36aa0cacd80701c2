namespace Maskbench.Data.Coco;

/// <summary>
/// Union or intersection of masks of one size, computed on the runs without decoding
/// (maskApi.c <c>rleMerge</c>; the COCO API merges the polygons of one object this way).
/// </summary>
public static class RleMerge
{
    public static Rle Union(IReadOnlyList<Rle> masks) => Merge(masks, intersect: false);

    public static Rle Intersection(IReadOnlyList<Rle> masks) => Merge(masks, intersect: true);

    public static Rle Merge(IReadOnlyList<Rle> masks, bool intersect)
    {
        if (masks.Count == 0) return new Rle(0, 0, []);
        Rle first = masks[0];
        if (masks.Count == 1) return new Rle(first.Height, first.Width, (uint[])first.Counts.Clone());
        int h = first.Height, w = first.Width;
        var current = new List<uint>(first.Counts);
        var next = new List<uint>(first.Counts.Length * 2);
        for (int i = 1; i < masks.Count; i++)
        {
            Rle b = masks[i];
            // The COCO API gives an empty 0x0 result when sizes disagree; we refuse instead (a caller's bug).
            if (b.Height != h || b.Width != w)
                throw new ArgumentException($"cannot merge masks of sizes [{h}, {w}] and [{b.Height}, {b.Width}]", nameof(masks));
            next.Clear();
            MergeTwo(current, b.Counts, intersect, next);
            (current, next) = (next, current);
        }
        return new Rle(h, w, current.ToArray());
    }

    // Walks both run lists at once; a run of the output ends where the combined value changes or both inputs end.
    static void MergeTwo(List<uint> a, uint[] b, bool intersect, List<uint> output)
    {
        uint ca = a.Count > 0 ? a[0] : 0, cb = b.Length > 0 ? b[0] : 0, cc = 0, ct = 1;
        bool v = false, va = false, vb = false;
        int ia = 1, ib = 1;
        while (ct > 0)
        {
            uint c = Math.Min(ca, cb);
            cc += c;
            ct = 0;
            ca -= c;
            if (ca == 0 && ia < a.Count) { ca = a[ia++]; va = !va; }
            ct += ca;
            cb -= c;
            if (cb == 0 && ib < b.Length) { cb = b[ib++]; vb = !vb; }
            ct += cb;
            bool vp = v;
            v = intersect ? va && vb : va || vb;
            if (v != vp || ct == 0) { output.Add(cc); cc = 0; }
        }
    }
}
