using System.Globalization;
using Maskbench.Data.Gtsrb;

namespace Maskbench.Bench;

/// <summary>Figures of OpenCV's grabCut (reference/grabcut_peer.py) on a list of images, with the same definitions as ours.</summary>
public sealed record GrabCutPeerResult(int Count, double MasksPerSecond, double EmptyShare, double InsideShare, double CoveredShare,
    IReadOnlyList<double?> IoU, string Version);

/// <summary>
/// Runs OpenCV's grabCut (Debian's python3-opencv) with the ROI rectangle on the same images we segment, for a
/// side-by-side line in `masks evaluate --peer grabcut` and in the `segmenter` benchmark.
/// </summary>
public static class GrabCutPeer
{
    /// <param name="size">When set, images are resized to size x size first (the reference ran on 32 x 32).</param>
    public static GrabCutPeerResult? Run(IReadOnlyList<MaskEvaluationItem> items, int iterations, out string? note, int? size = null)
    {
        string list = Path.Combine(Path.GetTempPath(), $"maskbench-grabcut-{Guid.NewGuid():N}.txt");
        try
        {
            File.WriteAllLines(list, items.Select(i => string.Create(CultureInfo.InvariantCulture,
                $"{i.ImagePath};{i.Roi.X1};{i.Roi.Y1};{i.Roi.X2};{i.Roi.Y2};{i.TruthPath}")));
            var json = PythonReference.Run("grabcut_peer.py", [list, iterations.ToString(CultureInfo.InvariantCulture),
                .. size is int s ? new[] { s.ToString(CultureInfo.InvariantCulture) } : []], out note);
            if (json is null) return null;
            double Get(string key) => json[key] is { } v ? v.GetValue<double>() : double.NaN;
            var iou = json["iou"]!.AsArray().Select(v => v is null ? (double?)null : v.GetValue<double>()).ToList();
            return new GrabCutPeerResult((int)Get("count"), Get("masks_per_second"), Get("empty_share"), Get("inside_share"), Get("covered_share"),
                iou, (string?)json["opencv"] ?? "?");
        }
        finally
        {
            File.Delete(list);
        }
    }
}
