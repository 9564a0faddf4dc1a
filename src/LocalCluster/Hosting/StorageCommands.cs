using System.CommandLine;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Vers.LocalCluster.ApiServer.Storage;

namespace Vers.LocalCluster.Hosting;

/// <summary>
/// <c>backup</c> and <c>restore</c>: the data directory's online snapshot and its restore, as etcd's
/// <c>etcdctl snapshot save</c> and <c>etcdutl snapshot restore</c>. Failures are one line on stderr and exit code 1.
/// </summary>
public static class StorageCommands
{
    /// <summary>Exit code of a backup or restore that did not happen.</summary>
    public const int Failed = 1;

    public static Command Backup()
    {
        var dataDir = DataDir("The data directory of the cluster to back up (a host may be serving it).");
        var to = new Option<string>("--to") { HelpName = "FILE", Description = "The backup file to write (must not exist).", Required = true };
        var command = new Command("backup", "Write an online, consistent copy of the cluster in --data-dir to a new file. A running host keeps serving.")
        {
            dataDir,
            to,
        };
        command.SetAction(parsed => Run(() =>
        {
            var (objects, revision) = SqliteObjectStore.Backup(parsed.GetValue(dataDir)!, parsed.GetValue(to)!);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"backed up {objects} objects at revision {revision} to {Path.GetFullPath(parsed.GetValue(to)!)}"));
        }));
        return command;
    }

    public static Command Restore()
    {
        var dataDir = DataDir("The data directory to restore into (no host may be serving it).");
        var from = new Option<string>("--from") { HelpName = "FILE", Description = "A file written by the backup command.", Required = true };
        var command = new Command(
            "restore",
            "Replace the cluster in --data-dir with a backup, after checking the backup is whole. Stop the host first; " +
            "the database it replaces is kept beside it as cluster.db.before-restore-<time>.")
        {
            dataDir,
            from,
        };
        command.SetAction(parsed => Run(() =>
        {
            var (objects, revision, previous) = RestoreInto(parsed.GetValue(dataDir)!, parsed.GetValue(from)!, TimeProvider.System);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"restored {objects} objects at revision {revision} into {Path.GetFullPath(parsed.GetValue(dataDir)!)}") +
                (previous is null ? "" : $"; the previous database is {previous}"));
        }));
        return command;
    }

    /// <summary>
    /// Restores <paramref name="backup"/> into <paramref name="directory"/> under the directory's lock: the backup is
    /// verified first, the current database (with its WAL) is moved aside, the copy is fsynced before it is renamed
    /// into place, so a crash leaves either the old database or the whole new one.
    /// </summary>
    public static (long Objects, long Revision, string? Previous) RestoreInto(string directory, string backup, TimeProvider time)
    {
        var (objects, revision) = SqliteObjectStore.Verify(backup);
        using var claim = DataDirectoryLock.Acquire(directory);
        var target = Path.Combine(Path.GetFullPath(directory), SqliteObjectStore.FileName);
        var staging = target + ".restoring";
        using (var source = new FileStream(Path.GetFullPath(backup), FileMode.Open, FileAccess.Read, FileShare.Read))
        using (var copy = new FileStream(staging, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            source.CopyTo(copy);
            copy.Flush(flushToDisk: true);
        }

        string? previous = null;
        if (File.Exists(target))
        {
            previous = $"{target}.before-restore-{time.GetUtcNow():yyyyMMdd'T'HHmmss'Z'}";
            foreach (var suffix in (string[])["-wal", "-shm"])
            {
                if (File.Exists(target + suffix))
                {
                    File.Move(target + suffix, previous + suffix);
                }
            }

            File.Move(target, previous);
        }

        File.Move(staging, target);
        return (objects, revision, previous);
    }

    private static Option<string> DataDir(string description) =>
        new("--data-dir") { HelpName = "DIR", Description = description, Required = true };

    private static int Run(Action action)
    {
        try
        {
            action();
            return 0;
        }
        catch (Exception e) when (e is IOException or SqliteException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine(e.Message);
            return Failed;
        }
    }
}
