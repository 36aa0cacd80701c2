using System.Runtime.InteropServices;

namespace Maskbench.Data.Coco;

public sealed record CocoImage(long Id, string FileName, int Width, int Height);

public sealed record CocoCategory(int Id, string Name, string Supercategory);

/// <summary>One object instance (or crowd region) of the instances JSON.</summary>
public sealed class CocoAnnotation
{
    public required long Id { get; init; }
    public required long ImageId { get; init; }
    public required int CategoryId { get; init; }
    public bool IsCrowd { get; init; }
    /// <summary>The JSON's bbox [x, y, w, h]; may disagree with the decoded mask (crowd regions in real COCO).</summary>
    public double[] Bbox { get; init; } = [];
    /// <summary>The JSON's area: the polygon's geometric area, not the mask's pixel count.</summary>
    public double Area { get; init; }
    public required CocoSegmentation Segmentation { get; init; }
}

/// <summary>A parsed and checked instances file, with look-ups by id.</summary>
public sealed class CocoAnnotations
{
    public string FilePath { get; }
    public IReadOnlyList<CocoImage> Images { get; }
    public IReadOnlyList<CocoCategory> Categories { get; }
    public IReadOnlyList<CocoAnnotation> Annotations { get; }

    readonly Dictionary<long, CocoImage> imagesById;
    readonly Dictionary<int, CocoCategory> categoriesById;
    readonly Dictionary<long, int[]> annotationsByImage;

    internal CocoAnnotations(string filePath, List<CocoImage> images, List<CocoCategory> categories, List<CocoAnnotation> annotations,
        Dictionary<long, CocoImage> imagesById, Dictionary<int, CocoCategory> categoriesById)
    {
        FilePath = filePath;
        Images = images;
        Categories = categories;
        Annotations = annotations;
        this.imagesById = imagesById;
        this.categoriesById = categoriesById;
        // Two passes (count, then fill) give one exact-size index array per image.
        var counts = new Dictionary<long, int>(imagesById.Count);
        foreach (var a in annotations) CollectionsMarshal.GetValueRefOrAddDefault(counts, a.ImageId, out _)++;
        annotationsByImage = new Dictionary<long, int[]>(counts.Count);
        foreach (var (image, n) in counts) annotationsByImage[image] = new int[n];
        foreach (var image in counts.Keys) counts[image] = 0;
        for (int i = 0; i < annotations.Count; i++)
        {
            long image = annotations[i].ImageId;
            ref int at = ref CollectionsMarshal.GetValueRefOrAddDefault(counts, image, out _);
            annotationsByImage[image][at++] = i;
        }
    }

    public CocoImage Image(long id) => imagesById[id];
    public CocoCategory Category(int id) => categoriesById[id];

    /// <summary>Indices into <see cref="Annotations"/> of one image's annotations, in file order.</summary>
    public IReadOnlyList<int> AnnotationsOf(long imageId) => annotationsByImage.TryGetValue(imageId, out var list) ? list : [];

    /// <summary>The annotation's mask on its image (pycocotools <c>annToRLE</c>).</summary>
    public Rle Mask(CocoAnnotation annotation)
    {
        var image = imagesById[annotation.ImageId];
        return annotation.Segmentation.ToRle(image.Height, image.Width);
    }
}
