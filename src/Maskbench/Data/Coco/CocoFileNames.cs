namespace Maskbench.Data.Coco;

/// <summary>
/// Image file names come from the annotation file, which may not be trusted: a name must stay inside the image
/// folder (no absolute path, no "..", no backslash that Windows would read as a separator, no drive letter).
/// </summary>
public static class CocoFileNames
{
    /// <summary>Why <paramref name="fileName"/> cannot be used, or null when it is a plain relative path.</summary>
    public static string? Problem(string fileName)
    {
        if (fileName.Length == 0) return "file_name is empty";
        if (fileName.Contains('\\')) return $"file_name \"{fileName}\" contains a backslash; names must be relative paths inside the image folder";
        if (fileName.Contains('\0')) return "file_name contains a NUL character";
        if (fileName.StartsWith('/') || Path.IsPathRooted(fileName) || (fileName.Length >= 2 && fileName[1] == ':'))
            return $"file_name \"{fileName}\" is an absolute path; names must be relative paths inside the image folder";
        if (fileName.Split('/').Any(part => part == ".."))
            return $"file_name \"{fileName}\" leaves the image folder (\"..\")";
        return null;
    }

    /// <summary>The image's path under <paramref name="imageFolder"/>; throws for names that leave it.</summary>
    public static string Resolve(string imageFolder, CocoImage image, string annotationFile)
    {
        string? problem = Problem(image.FileName);
        if (problem is not null) throw new DataFormatException(annotationFile, problem, $"image id {image.Id}");
        string root = Path.GetFullPath(imageFolder);
        string full = Path.GetFullPath(Path.Combine(root, image.FileName));
        if (!full.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal))
            throw new DataFormatException(annotationFile, $"file_name \"{image.FileName}\" leaves the image folder", $"image id {image.Id}");
        return full;
    }
}
