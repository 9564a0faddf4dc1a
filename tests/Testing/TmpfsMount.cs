using System.Diagnostics;

namespace Vers.Testing;

/// <summary>
/// A small tmpfs mounted for a test, so that a full disk is a real ENOSPC from the kernel and not a simulated one.
/// Needs mount privileges (root with CAP_SYS_ADMIN, as the CI machines have); without them the test is skipped.
/// </summary>
internal sealed class TmpfsMount : IDisposable
{
    private TmpfsMount(string path) => Path = path;

    public string Path { get; }

    public static TmpfsMount MountOrSkip(int megabytes)
    {
        var path = Directory.CreateTempSubdirectory("vers-tmpfs-").FullName;
        var (code, error) = Run("mount", "-t", "tmpfs", "-o", $"size={megabytes}m", "tmpfs", path);
        if (code != 0)
        {
            Directory.Delete(path);
            Assert.Skip($"a full disk needs a tmpfs of its own, and mount refused: {error.Trim()}");
        }

        return new TmpfsMount(path);
    }

    /// <summary>Fills the file system up (a file of every free byte); returns that file.</summary>
    public string Fill()
    {
        var filler = System.IO.Path.Combine(Path, "filler");
        using var file = new FileStream(filler, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
        var chunk = new byte[64 * 1024];
        try
        {
            while (true)
            {
                file.Write(chunk);
            }
        }
        catch (IOException)
        {
            // No space left on device: the point.
        }

        // Whatever did not fit in whole chunks.
        try
        {
            while (true)
            {
                file.WriteByte(0);
            }
        }
        catch (IOException)
        {
            // Full to the last byte.
        }

        return filler;
    }

    public void Dispose()
    {
        Run("umount", "-l", Path);
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    private static (int Code, string Error) Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        try
        {
            using var process = Process.Start(start)!;
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, error);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }
}
