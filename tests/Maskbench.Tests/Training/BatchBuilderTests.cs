using Maskbench.Tests.Support;
using Maskbench.Training;
using static TorchSharp.torch;

namespace Maskbench.Tests.Training;

public class BatchBuilderTests
{
    /// <summary>Reference: zero-pad the whole image by p, slice the S x S window at (dy, dx), then mirror columns.</summary>
    static float[,,] Reference(byte[] images, int index, int s, int p, Augmentation a)
    {
        var padded = new float[3, s + 2 * p, s + 2 * p];
        for (int y = 0; y < s; y++)
        for (int x = 0; x < s; x++)
        for (int c = 0; c < 3; c++)
            padded[c, y + p, x + p] = images[((index * s + y) * s + x) * 3 + c] / 255f;
        var result = new float[3, s, s];
        for (int c = 0; c < 3; c++)
        for (int y = 0; y < s; y++)
        for (int x = 0; x < s; x++)
        {
            var cropped = padded[c, y + a.OffsetY, x + a.OffsetX];
            result[c, y, a.Flip ? s - 1 - x : x] = cropped;
        }
        return result;
    }

    [Fact]
    public void Crop_and_flip_match_pad_then_slice_and_mask_follows_the_image()
    {
        var set = SyntheticSplits.Random(6, 16, 3, seed: 4);
        // Make the mask equal to "red channel is odd" so it can be checked against the augmented image.
        for (int i = 0; i < set.Masks.Length; i++) set.Masks[i] = (byte)(set.Images[i * 3] % 2);
        var builder = new BatchBuilder(set, 3, CPU);
        Assert.Equal(2, builder.Pad);
        var augmentations = builder.Draw(new Random(9), 6, crop: true, flip: true);
        Assert.Contains(augmentations, a => a.Flip);
        Assert.Contains(augmentations, a => a.OffsetX != builder.Pad);
        int[] rows = [5, 0, 3, 1, 2, 4];
        using var batch = builder.Build(rows, augmentations);
        var images = batch.Images.data<float>().ToArray();
        var masks = batch.Masks.data<float>().ToArray();
        for (int b = 0; b < rows.Length; b++)
        {
            var expected = Reference(set.Images, rows[b], 16, 2, augmentations[b]);
            for (int c = 0; c < 3; c++)
            for (int y = 0; y < 16; y++)
            for (int x = 0; x < 16; x++)
                Assert.Equal(expected[c, y, x], images[((b * 3 + c) * 16 + y) * 16 + x]);
            for (int y = 0; y < 16; y++)
            for (int x = 0; x < 16; x++)
            {
                float red = expected[0, y, x] * 255f;
                float mask = masks[(b * 16 + y) * 16 + x];
                Assert.Equal(Math.Round(red) % 2, mask);   // padding: red 0, mask 0
            }
            Assert.Equal(set.Labels[rows[b]], batch.Labels[b].item<long>());
        }
    }

    [Fact]
    public void Flip_is_never_drawn_when_labels_do_not_survive_it()
    {
        var set = SyntheticSplits.Random(2, 32, 2, seed: 1);
        var builder = new BatchBuilder(set, 3, CPU);
        Assert.Equal(4, builder.Pad);
        Assert.DoesNotContain(builder.Draw(new Random(1), 500, crop: true, flip: false), a => a.Flip);
        Assert.All(builder.Draw(new Random(1), 50, crop: false, flip: false), a => Assert.Equal(Augmentation.None(4), a));
    }

    [Fact]
    public void Grey_is_the_mean_of_the_channels()
    {
        var set = SyntheticSplits.Random(1, 8, 2, seed: 2);
        using var batch = new BatchBuilder(set, 1, CPU).Build([0]);
        Assert.Equal(new long[] { 1, 1, 8, 8 }, batch.Images.shape);
        Assert.Equal((set.Images[0] + set.Images[1] + set.Images[2]) / 765f, batch.Images[0, 0, 0, 0].item<float>(), 6);
    }
}
