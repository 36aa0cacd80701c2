using Maskbench.Data;

namespace Maskbench.Masks;

/// <summary>Mean IoU overall and per class, accumulated one mask at a time.</summary>
public sealed class IoUSummary
{
    readonly SortedDictionary<int, (double Sum, int Count)> _perClass = [];
    double _sum;

    public int Count { get; private set; }
    public double Mean => Count == 0 ? double.NaN : _sum / Count;
    public IReadOnlyDictionary<int, (double Mean, int Count)> PerClass =>
        _perClass.ToDictionary(kv => kv.Key, kv => (kv.Value.Sum / kv.Value.Count, kv.Value.Count));

    public void Add(int classId, double iou)
    {
        _sum += iou;
        Count++;
        _perClass[classId] = _perClass.TryGetValue(classId, out var s) ? (s.Sum + iou, s.Count + 1) : (iou, 1);
    }

    public void Add(int classId, BinaryMask mask, BinaryMask truth) => Add(classId, MaskQuality.IoU(mask, truth));
}
