namespace Maskbench.Files;

/// <summary>
/// Checks that an output location can be written before any work starts, so that an hour of segmentation or
/// attacks does not end in "permission denied". The check writes and removes a probe file in the folder the output
/// goes to (creating that folder and its parents, as the write itself would).
/// </summary>
public static class OutputLocation
{
    /// <summary>Checks that files can be created in <paramref name="folder"/>.</summary>
    public static void EnsureWritableFolder(string folder, string option = "--out") => Probe(folder, folder, option);

    /// <summary>Checks that <paramref name="file"/> can be written: its folder takes new files, and it is not a folder.</summary>
    public static void EnsureWritableFile(string file, string option = "--out")
    {
        string full = Path.GetFullPath(file);
        if (Directory.Exists(full)) throw new MaskbenchException($"{option} {file}: is a folder; give a file name");
        Probe(Path.GetDirectoryName(full) ?? ".", file, option);
    }

    /// <summary>Checks that <paramref name="folder"/> can be created or replaced: its parent takes new entries and it is not a file.</summary>
    public static void EnsureReplaceableFolder(string folder, string option = "--out")
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        if (File.Exists(full)) throw new MaskbenchException($"{option} {folder}: is a file, not a folder");
        Probe(Path.GetDirectoryName(full) ?? ".", folder, option);
        if (Directory.Exists(full)) Probe(full, folder, option);
    }

    static void Probe(string folder, string given, string option)
    {
        string full = Path.GetFullPath(folder);
        try
        {
            // A path through a regular file (out/file.txt/x) fails here with "Not a directory" or "file exists".
            Directory.CreateDirectory(full);
            string probe = Path.Combine(full, $".maskbench-write-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MaskbenchException($"{option} {given}: cannot write in {full} ({e.Message})", e);
        }
    }
}
