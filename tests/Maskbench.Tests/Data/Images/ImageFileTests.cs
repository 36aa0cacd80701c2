using Maskbench.Data;
using Maskbench.Data.Images;
using Maskbench.Tests.Support;

namespace Maskbench.Tests.Data.Images;

public class ImageFileTests
{
    static RgbImage RandomImage(int width, int height, int seed)
    {
        var pixels = new byte[width * height * 3];
        new Random(seed).NextBytes(pixels);
        return new RgbImage(width, height, pixels);
    }

    [Theory]
    [InlineData("a.ppm", "P6")]
    [InlineData("a.PNG", "\u0089PNG")]
    public void SavesByExtensionAndLoadsLosslessFormatsExactly(string name, string magic)
    {
        using var folder = new TempFolder();
        var image = RandomImage(21, 13, seed: 4);
        ImageFile.Save(image, folder[name]);
        byte[] head = File.ReadAllBytes(folder[name])[..magic.Length];
        Assert.Equal(magic.Select(c => (byte)c).ToArray(), head);
        Assert.Equal(image.Pixels, ImageFile.Load(folder[name]).Pixels);
        Assert.Single(Directory.GetFiles(folder.Path));
    }

    [Fact]
    public void SavesJpegAndLoadsByContentNotName()
    {
        using var folder = new TempFolder();
        var image = new RgbImage(16, 16, Enumerable.Repeat((byte)120, 16 * 16 * 3).ToArray());
        ImageFile.Save(image, folder["flat.jpeg"]);
        File.Move(folder["flat.jpeg"], folder["flat.ppm"]);   // a misleading name: the magic bytes decide
        Assert.All(ImageFile.Load(folder["flat.ppm"]).Pixels, v => Assert.InRange(v, 118, 122));
    }

    [Fact]
    public void SaveReplacesAnExistingFileAndLeavesNoTemporaryBehind()
    {
        using var folder = new TempFolder();
        ImageFile.Save(RandomImage(4, 4, 1), folder["x.png"]);
        var second = RandomImage(5, 3, 2);
        ImageFile.Save(second, folder["x.png"]);
        Assert.Equal(second.Pixels, ImageFile.Load(folder["x.png"]).Pixels);
        Assert.Single(Directory.GetFiles(folder.Path));
    }

    [Fact]
    public void UnknownExtensionsAndFormatsAreClearErrors()
    {
        using var folder = new TempFolder();
        var error = Assert.Throws<MaskbenchException>(() => ImageFile.Save(RandomImage(2, 2, 0), folder["a.gif"]));
        Assert.Contains("a.gif", error.Message);
        Assert.Empty(Directory.GetFiles(folder.Path));
        File.WriteAllText(folder["note.png"], "hello");
        var unknown = Assert.Throws<DataFormatException>(() => ImageFile.Load(folder["note.png"]));
        Assert.Contains("note.png", unknown.Message);
        Assert.Contains("68656C6C6F", unknown.Message);
        File.WriteAllBytes(folder["empty.ppm"], []);
        Assert.Contains("empty", Assert.Throws<DataFormatException>(() => ImageFile.Load(folder["empty.ppm"])).Message);
        Assert.Contains("not found", Assert.Throws<MaskbenchException>(() => ImageFile.Load(folder["missing.jpg"])).Message);
    }

    [Fact]
    public void MasksRoundTripThroughPngAs0And255()
    {
        using var folder = new TempFolder();
        var mask = new BinaryMask(7, 5);
        var random = new Random(3);
        for (int i = 0; i < mask.Values.Length; i++) mask.Values[i] = (byte)random.Next(2);
        ImageFile.SaveMask(mask, folder["m.png"]);
        var asImage = ImageFile.Load(folder["m.png"]);
        for (int i = 0; i < mask.Values.Length; i++) Assert.Equal(mask.Values[i] * 255, asImage.Pixels[3 * i]);
        Assert.Equal(mask.Values, ImageFile.LoadMask(folder["m.png"]).Values);
        Assert.Throws<MaskbenchException>(() => ImageFile.SaveMask(mask, folder["m.jpg"]));
    }

    [Fact]
    public void LoadMaskAcceptsLabelMapsHolding0And1()
    {
        using var folder = new TempFolder();
        var labels = new RgbImage(3, 1, [0, 0, 0, 1, 1, 1, 0, 1, 0]);
        ImageFile.Save(labels, folder["labels.png"]);
        Assert.Equal(new byte[] { 0, 1, 1 }, ImageFile.LoadMask(folder["labels.png"]).Values);
        var grey = new RgbImage(3, 1, [0, 0, 0, 127, 127, 127, 128, 0, 0]);
        ImageFile.Save(grey, folder["grey.ppm"]);
        Assert.Equal(new byte[] { 0, 0, 1 }, ImageFile.LoadMask(folder["grey.ppm"]).Values);
    }
}
