using Maskbench.Data.Gtsrb;
using Maskbench.Masks;
using Maskbench.Progress;
using Maskbench.Tests.Support;

namespace Maskbench.Tests.Masks;

public class GraphCutSegmenterTests
{
    /// <summary>
    /// Fixture: 60 images of <see cref="SyntheticSigns"/> (seeds 0..59: all six shapes, 25-130 px, cluttered
    /// backgrounds), segmented with default options, with and without the ROI; mean IoU against the true masks at
    /// the original resolution.
    /// </summary>
    [Fact]
    public void Synthetic_signs_reach_iou_090()
    {
        var segmenter = new GraphCutSegmenter();
        var withRoi = new IoUSummary();
        var withoutRoi = new IoUSummary();
        for (int i = 0; i < 60; i++)
        {
            var (image, truth, roi, shape) = SyntheticSigns.Make(i);
            withRoi.Add(shape, segmenter.Segment(image, i, roi), truth);
            withoutRoi.Add(shape, segmenter.Segment(image, i), truth);
        }
        Assert.True(withRoi.Mean >= 0.9, $"mean IoU with ROI {withRoi.Mean:F3}");
        Assert.True(withoutRoi.Mean >= 0.9, $"mean IoU without ROI {withoutRoi.Mean:F3}");
        Assert.Equal(SyntheticSigns.Shapes, withRoi.PerClass.Count);
    }

    [Fact]
    public void Grabcut_rounds_soft_roi_prior_and_4_connectivity_also_segment()
    {
        var segmenter = new GraphCutSegmenter(new SegmenterOptions { ReestimationRounds = 2, ForceBackgroundOutsideRoi = false, Connectivity = 4,
            WorkingSize = 0 });
        var summary = new IoUSummary();
        for (int i = 300; i < 330; i++)
        {
            var (image, truth, roi, shape) = SyntheticSigns.Make(i);
            summary.Add(shape, segmenter.Segment(image, i, roi), truth);
        }
        Assert.True(summary.Mean >= 0.88, $"mean IoU {summary.Mean:F3}");
    }

    [Fact]
    public void Same_seed_gives_the_same_mask_on_any_thread()
    {
        var segmenter = new GraphCutSegmenter();
        var images = Enumerable.Range(100, 12).Select(SyntheticSigns.Make).ToArray();
        var serial = images.Select((s, i) => segmenter.Segment(s.Image, i, s.Roi).Values).ToArray();
        var parallel = new byte[images.Length][];
        Parallel.For(0, images.Length, i => parallel[i] = segmenter.Segment(images[i].Image, i, images[i].Roi).Values);
        for (int i = 0; i < images.Length; i++) Assert.Equal(serial[i], parallel[i]);
        Assert.Equal(serial[0], segmenter.Segment(images[0].Image, 0, images[0].Roi).Values);
    }

    [Fact]
    public void Forced_roi_keeps_the_mask_inside_it_and_the_mask_is_never_empty()
    {
        var segmenter = new GraphCutSegmenter();
        for (int i = 200; i < 230; i++)
        {
            var (image, _, roi, _) = SyntheticSigns.Make(i);
            var mask = segmenter.Segment(image, i, roi);
            Assert.True(mask.CountForeground() > 0);
            Assert.Equal(1.0, MaskQuality.InsideRoiShare(mask, roi));
        }
        // A flat image has nothing to find, yet the central seeds stay foreground.
        var flat = new Maskbench.Data.RgbImage(20, 20);
        Assert.True(segmenter.Segment(flat, 0).CountForeground() > 0);
    }

    [Fact]
    public void Tiny_and_odd_images_and_rois_do_not_fail()
    {
        var segmenter = new GraphCutSegmenter();
        var random = new Random(8);
        foreach (var (w, h) in new[] { (1, 1), (1, 7), (9, 1), (2, 2), (3, 5), (15, 15), (250, 40), (64, 200) })
        {
            var pixels = new byte[w * h * 3];
            random.NextBytes(pixels);
            var image = new Maskbench.Data.RgbImage(w, h, pixels);
            var rois = new Maskbench.Data.RoiBox?[] { null, new(0, 0, w - 1, h - 1), new(w / 2, h / 2, w / 2, h / 2) };
            foreach (var roi in rois)
            {
                var mask = segmenter.Segment(image, 1, roi);
                Assert.Equal((w, h), (mask.Width, mask.Height));
                Assert.True(mask.CountForeground() > 0, $"{w}x{h} roi {roi}");
            }
        }
    }

    [Fact]
    public void Options_out_of_range_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new GraphCutSegmenter(new SegmenterOptions { Connectivity = 6 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GraphCutSegmenter(new SegmenterOptions { WorkingSize = 4 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GraphCutSegmenter(new SegmenterOptions { OutsideRoiCost = double.PositiveInfinity }));
    }

    /// <summary>
    /// The 430 real training images of gtsrb-original at their original sizes, with their CSV ROIs: fewer than 2%
    /// empty masks and 50-80% of the ROI covered (OpenCV grabCut with the ROI rectangle: 34% empty, 30% covered).
    /// </summary>
    [SkippableFact]
    public void Real_gtsrb_masks_are_rarely_empty_and_cover_most_of_the_roi()
    {
        string root = SharedData.Require("gtsrb-original/GTSRB");
        var items = GtsrbMaskEvaluation.Items(root, truth: null);
        Assert.Equal(430, items.Count);
        var report = GtsrbMaskEvaluation.Segment(items, SegmenterOptions.Default, seed: 0, workers: 0, NullProgress.Instance);
        Assert.True(report.Roi.EmptyShare < 0.02, $"empty {report.Roi.EmptyShare:P1}");
        Assert.InRange(report.Roi.MeanCoveredShare, 0.5, 0.8);
        Assert.True(report.Roi.MeanInsideShare > 0.99, $"inside {report.Roi.MeanInsideShare:P1}");
        Assert.Null(report.IoU);
    }
}
