namespace Maskbench.Data.Coco;

/// <summary>Everything `build coco` takes; recorded in the dataset's manifest.</summary>
public sealed class CocoCropOptions
{
    /// <summary>Instances JSON files whose objects all go into the one split.</summary>
    public required IReadOnlyList<string> AnnotationFiles { get; init; }
    /// <summary>Folder the files' <c>file_name</c> values are relative to.</summary>
    public required string ImageFolder { get; init; }
    /// <summary>"train" or "test".</summary>
    public required string Split { get; init; }
    /// <summary>Side S of the square samples.</summary>
    public int Size { get; init; } = 32;
    /// <summary>Null: reuse the dataset's classes (test split) or top 10 (train split).</summary>
    public CocoClassSelection? Classes { get; init; }
    /// <summary>
    /// Category names whose objects are never samples (their pixels are still blacked out in others' crops). Null: the
    /// paper's choice, <see cref="PaperExclusions"/> (person) where the annotations have that category and
    /// <see cref="Classes"/> does not name it; an empty list excludes nothing.
    /// </summary>
    public IReadOnlyList<string>? Exclude { get; init; }
    /// <summary>The paper leaves out "person" (by far the most frequent category) before taking the ten most frequent.</summary>
    public static readonly IReadOnlyList<string> PaperExclusions = ["person"];
    /// <summary>Objects whose mask box is shorter than this on its longer side are skipped as too small.</summary>
    public int MinSize { get; init; }
    /// <summary>How many skipped annotations per reason the manifest lists by id (the counts are always complete).</summary>
    public int SkippedExamplesPerReason { get; init; } = 200;
}
