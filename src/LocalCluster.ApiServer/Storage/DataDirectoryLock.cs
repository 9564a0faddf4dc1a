using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Vers.LocalCluster.ApiServer.Storage;

/// <summary>Another process holds the data directory: the message names the directory and the holder.</summary>
public sealed class DataDirectoryLockedException(string message) : IOException(message);

/// <summary>
/// The exclusive claim on a <c>--data-dir</c>, as an etcd member holds its data dir and a Prometheus server its
/// <c>lock</c> file: an OS lock (flock, through .NET's <see cref="FileShare.None"/>) on <c>lock</c> in the directory,
/// which also records the holder's PID for whoever is refused. The kernel drops the lock when the process ends,
/// however it ends (kill -9 included), so a stale file never blocks a restart.
/// </summary>
public sealed partial class DataDirectoryLock : IDisposable
{
    public const string FileName = "lock";

    private readonly FileStream _file;

    private DataDirectoryLock(string path, FileStream file)
    {
        Path = path;
        _file = file;
    }

    /// <summary>The lock file.</summary>
    public string Path { get; }

    /// <summary>Takes the directory (creating it if needed) or throws <see cref="DataDirectoryLockedException"/> at once.</summary>
    public static DataDirectoryLock Acquire(string directory)
    {
        Directory.CreateDirectory(directory);
        var path = System.IO.Path.Combine(System.IO.Path.GetFullPath(directory), FileName);
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            var holder = HolderOf(path);
            throw new DataDirectoryLockedException(
                $"data directory {System.IO.Path.GetDirectoryName(path)} is in use by another process{(holder is null ? "" : $" (PID {holder})")}: " +
                "stop it first, or start this one with another --data-dir");
        }

        var pid = Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
        file.SetLength(0);
        file.Write(pid);
        file.Flush(flushToDisk: false);
        return new DataDirectoryLock(path, file);
    }

    /// <summary>The PID a holder wrote. Read with plain system calls: .NET's own open takes a shared flock, which the holder's lock refuses.</summary>
    private static int? HolderOf(string path)
    {
        var fd = Open(path, 0);
        if (fd < 0)
        {
            return null;
        }

        try
        {
            var buffer = new byte[32];
            var read = Read(fd, buffer, buffer.Length);
            return read > 0 && int.TryParse(Encoding.ASCII.GetString(buffer, 0, (int)read).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        finally
        {
            _ = Close(fd);
        }
    }

    public void Dispose() => _file.Dispose();

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "read")]
    private static partial nint Read(int fd, [Out] byte[] buffer, nint count);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
