namespace Maskbench.Files;

/// <summary>
/// Writes a file under a temporary name in the same folder and renames it, so that a reader (or a resumed grid) sees
/// either the old file or the complete new one, never a half-written one. Each write has its own temporary name
/// (process id and a GUID), so two writers of one path never share one; a failed write leaves no temporary behind.
/// Files the library writes one by one go through here; folders written whole (a dataset store, a synthetic root)
/// are built under a temporary name and renamed as a whole.
/// </summary>
public static class AtomicFile
{
    public static void WriteAllText(string path, string text) =>
        Write(path, temp => File.WriteAllText(temp, text));

    public static void WriteAllBytes(string path, byte[] bytes) =>
        Write(path, temp => File.WriteAllBytes(temp, bytes));

    public static void Copy(string source, string destination) =>
        Write(destination, temp => File.Copy(source, temp));

    /// <summary>Writes through a stream opened on the temporary file.</summary>
    public static void Write(string path, Action<Stream> write) =>
        Write(path, temp =>
        {
            using var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
            write(stream);
        });

    /// <summary>
    /// Lets <paramref name="writeTemp"/> create the file at the temporary path it is given, then renames it to <paramref name="path"/>.
    /// </summary>
    public static void Write(string path, Action<string> writeTemp)
    {
        string full = Path.GetFullPath(path);
        string? folder = Path.GetDirectoryName(full);
        if (folder is not null) Directory.CreateDirectory(folder);
        string temp = TemporaryName(full);
        try
        {
            writeTemp(temp);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>A fresh temporary name beside <paramref name="path"/> (for writers that commit several files together).</summary>
    public static string TemporaryName(string path) => $"{path}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
}
