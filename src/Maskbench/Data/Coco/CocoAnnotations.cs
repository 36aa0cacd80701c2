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
        var counts = new Dictionary<long, int>();
        foreach (var a in annotations) counts[a.ImageId] = counts.GetValueOrDefault(a.ImageId) + 1;
        annotationsByImage = counts.ToDictionary(p => p.Key, p => new int[p.Value]);
        var fill = new Dictionary<long, int>();
        for (int i = 0; i < annotations.Count; i++)
        {
            long image = annotations[i].ImageId;
            int at = fill.GetValueOrDefault(image);
            annotationsByImage[image][at] = i;
            fill[image] = at + 1;
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
