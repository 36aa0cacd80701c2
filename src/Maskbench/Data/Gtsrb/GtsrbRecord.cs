namespace Maskbench.Data.Gtsrb;

public enum GtsrbSplit { Training, Test }

/// <summary>
/// One annotated image of the official GTSRB layout, validated against its file: <see cref="Width"/> and
/// <see cref="Height"/> are the file's size and <see cref="Roi"/> lies inside it.
/// </summary>
/// <param name="Track">
/// The physical sign the image shows: training files are named <c>TTTTT_IIIII.ppm</c> (track, running index) and
/// all images of one class with the same track come from one sign (GTSRB Readme-Images.txt). Null for names
/// without a track (the test set's <c>NNNNN.ppm</c>).
/// </param>
/// <param name="Line">The 1-based line of the CSV the record came from.</param>
/// <param name="RoiRescaled">True when the CSV gave another size and the ROI was scaled to the file's size.</param>
public sealed record GtsrbRecord(
    GtsrbSplit Split,
    string ImagePath,
    string CsvPath,
    int Line,
    int Width,
    int Height,
    RoiBox Roi,
    int ClassId,
    int? Track,
    bool RoiRescaled = false)
{
    public string FileName => Path.GetFileName(ImagePath);

    /// <summary>Parses the track of a <c>TTTTT_IIIII.ppm</c> name; null for other names.</summary>
    public static int? TrackOf(string fileName)
    {
        string stem = Path.GetFileNameWithoutExtension(fileName);
        int underscore = stem.IndexOf('_');
        if (underscore <= 0) return null;
        return int.TryParse(stem.AsSpan(0, underscore), System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out int track) ? track : null;
    }
}
