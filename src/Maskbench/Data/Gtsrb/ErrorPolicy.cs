namespace Maskbench.Data.Gtsrb;

/// <summary>What the reader does with a record it cannot use as given.</summary>
public enum ErrorPolicy
{
    /// <summary>Throw a <see cref="DataFormatException"/> naming the file and line (the default).</summary>
    Stop,
    /// <summary>Leave the record out, count it and keep the reason (reported at the end and in the manifest).</summary>
    Skip,
    /// <summary>
    /// When a file's size disagrees with its CSV row, scale the ROI from the CSV's size to the file's size and
    /// use it (copies of GTSRB rescaled by their publisher keep the original CSV); other errors still stop.
    /// </summary>
    RescaleRoi,
}

/// <summary>A record the reader left out under <see cref="ErrorPolicy.Skip"/>: where it is and why.</summary>
public sealed record SkippedRecord(string File, string Location, string Reason)
{
    public override string ToString() => $"{File}, {Location}: {Reason}";
}
