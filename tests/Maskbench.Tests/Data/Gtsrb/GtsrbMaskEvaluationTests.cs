using Maskbench.Data;
using Maskbench.Data.Gtsrb;
using Maskbench.Data.Images;
using Maskbench.Data.Synthetic;
using Maskbench.Masks;
using Maskbench.Progress;
using Maskbench.Tests.Cli;
using Maskbench.Tests.Support;

namespace Maskbench.Tests.Data.Gtsrb;

public class GtsrbMaskEvaluationTests
{
    [Fact]
    public void Dataset_masks_are_compared_with_truth_cropped_and_resized_like_the_images()
    {
        using var temp = new TempFolder();
        SyntheticGtsrb.Write(temp["syn"], new SyntheticGtsrbOptions(Classes: 3, TrainPerClass: 4, TestPerClass: 0, Seed: 5), NullProgress.Instance);
        GtsrbDatasetBuilder.Build(temp["syn"], temp["ds"], new GtsrbBuildOptions { ImageSize = 24, Workers = 2 }, NullProgress.Instance);
        var perSplit = GtsrbMaskEvaluation.CompareDataset(temp["ds"], temp["syn"], NullProgress.Instance);
        var train = Assert.Single(perSplit).Value;
        Assert.Equal(12, train.Count);
        Assert.Equal(3, train.PerClass.Count);

        // By hand: each row's truth, cropped to its ROI square and resized, against the stored mask.
        using var dataset = DatasetStore.Open(temp["ds"]);
        var split = dataset.Split("train");
        double sum = 0;
        for (int i = 0; i < split.Count; i++)
        {
            var f = ((string)dataset.Manifest.BuildParameters["sources"]!["train"]![i]!).Split(';');
            var roi = new RoiBox(int.Parse(f[3]), int.Parse(f[4]), int.Parse(f[5]), int.Parse(f[6]));
            var truth = ImageFile.LoadMask(GtsrbGroundTruth.TrueMaskPath(temp["syn"], f[0]));
            var cropped = RoiSquare.Crop(new RgbImage(truth.Width, truth.Height), truth, roi, 0.05).Mask;
            sum += MaskQuality.IoU(split.Mask(i), ImageResize.Resize(cropped, 24, 24));
        }
        Assert.Equal(sum / split.Count, train.Mean, 12);
        Assert.True(train.Mean > 0.8, $"mean IoU {train.Mean:F3}");

        // A TrueMasks folder given directly resolves the same files.
        var direct = GtsrbMaskEvaluation.CompareDataset(temp["ds"], Path.Combine(temp["syn"], GtsrbGroundTruth.TrueMasksFolder),
            NullProgress.Instance);
        Assert.Equal(train.Mean, direct["train"].Mean);
    }

    [Fact]
    public void Cli_evaluates_a_synthetic_root_at_original_resolution()
    {
        using var temp = new TempFolder();
        SyntheticGtsrb.Write(temp["syn"], new SyntheticGtsrbOptions(Classes: 2, TrainPerClass: 3, TestPerClass: 1, Seed: 6), NullProgress.Instance);
        var (code, stdout, stderr) = CliProcess.Run("masks", "evaluate", "--src", temp["syn"], "--truth", temp["syn"], "--workers", "2");
        Assert.True(code == 0, stderr);
        Assert.Contains("graph cut", stdout);
        Assert.Contains("IoU per class", stdout.Replace("\n", " "));

        // The library gives the same figures the command printed from.
        var items = GtsrbMaskEvaluation.Items(temp["syn"], temp["syn"]);
        Assert.Equal(8, items.Count);
        Assert.All(items, i => Assert.True(File.Exists(i.TruthPath), i.TruthPath));
        var report = GtsrbMaskEvaluation.Segment(items, SegmenterOptions.Default, 0, 1, NullProgress.Instance);
        Assert.Contains(report.IoU!.Mean.ToString("F3", System.Globalization.CultureInfo.InvariantCulture), stdout);
    }

    [Fact]
    public void A_missing_true_mask_is_a_one_line_error()
    {
        using var temp = new TempFolder();
        SyntheticGtsrb.Write(temp["syn"], new SyntheticGtsrbOptions(Classes: 1, TrainPerClass: 2, TestPerClass: 0, Seed: 7), NullProgress.Instance);
        var items = GtsrbMaskEvaluation.Items(temp["syn"], temp["syn"]);
        File.Delete(items[1].TruthPath!);
        var e = Assert.Throws<MaskbenchException>(() => GtsrbMaskEvaluation.Segment(items, SegmenterOptions.Default, 0, 2, NullProgress.Instance));
        Assert.Contains("true mask", e.Message);
    }

    [Fact]
    public void Cli_refuses_incomplete_options()
    {
        var (code, _, stderr) = CliProcess.Run("masks", "evaluate", "--dataset", "x");
        Assert.NotEqual(0, code);
        Assert.Contains("--truth", stderr + "");
    }
}
