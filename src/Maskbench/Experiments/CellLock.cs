namespace Maskbench.Experiments;

/// <summary>
/// An exclusive lock on one cell of an output folder (<c>OUT/locks/&lt;key&gt;.lock</c>), held by an open file with
/// FileShare.None, which .NET maps to an advisory <c>flock</c> on Linux: the operating system releases it when the
/// process ends, so a killed run never leaves a stale lock. Two <c>reproduce</c> processes on the same folder thus
/// never compute the same cell: the second works on other cells first and then waits for the rest. Lock files are
/// left in place (removing one while another process waits on it would let two processes hold "the" lock).
/// </summary>
public sealed class CellLock : IDisposable
{
    readonly FileStream _stream;

    CellLock(FileStream stream) => _stream = stream;

    /// <summary>The lock, or null when another process (or another lock object in this one) holds it.</summary>
    public static CellLock? TryAcquire(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        try
        {
            return new CellLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException) when (File.Exists(path))
        {
            return null;
        }
    }

    /// <summary>Waits for the lock, calling <paramref name="waiting"/> once if it has to wait.</summary>
    public static CellLock Acquire(string path, Action waiting, CancellationToken cancellation = default)
    {
        bool told = false;
        while (true)
        {
            if (TryAcquire(path) is { } held) return held;
            if (!told) { waiting(); told = true; }
            Task.Delay(500, cancellation).Wait(cancellation);
        }
    }

    public void Dispose() => _stream.Dispose();
}
