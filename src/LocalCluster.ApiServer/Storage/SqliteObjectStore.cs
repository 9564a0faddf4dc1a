using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Vers.LocalCluster.ApiServer.Storage;

/// <summary>The data directory cannot be served: the message is one line naming the file, what is wrong and what to do.</summary>
public sealed class StorageRefusedException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>
/// The store kept in SQLite (<c>cluster.db</c> in the data directory), like k3s's single-node datastore.
/// Durability: WAL journal with <c>synchronous=FULL</c>, so every write is fsynced before the API answers it and an
/// acknowledged write survives a power loss, not only a killed process (with NORMAL, the last commits before an OS
/// crash can be lost). The revision is written in the same transaction as the object it stamps, so
/// resourceVersions keep increasing across restarts. A database that is empty, truncated, not SQLite, damaged, or
/// holds a row that does not parse is refused at open, naming the file or the object, and is left as it was.
/// </summary>
internal sealed class SqliteObjectStore : IStorageBackend
{
    public const string FileName = "cluster.db";

    private static readonly byte[] Header = "SQLite format 3\0"u8.ToArray();

    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _put;
    private readonly SqliteCommand _remove;
    private readonly SqliteCommand _setRevision;

    private SqliteObjectStore(string path, SqliteConnection connection)
    {
        Path = path;
        _connection = connection;
        _put = Prepare("INSERT INTO objects (bucket, ns, name, json) VALUES ($b, $n, $m, $j) ON CONFLICT (bucket, ns, name) DO UPDATE SET json = excluded.json", "$b", "$n", "$m", "$j");
        _remove = Prepare("DELETE FROM objects WHERE bucket = $b AND ns = $n AND name = $m", "$b", "$n", "$m");
        _setRevision = Prepare("INSERT INTO meta (key, value) VALUES ('revision', $r) ON CONFLICT (key) DO UPDATE SET value = excluded.value", "$r");
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>Opens (or creates) <c>cluster.db</c> in <paramref name="directory"/>; the caller holds the directory's lock.</summary>
    public static SqliteObjectStore Open(string directory)
    {
        Directory.CreateDirectory(directory);
        var path = System.IO.Path.Combine(System.IO.Path.GetFullPath(directory), FileName);
        var exists = File.Exists(path);
        if (exists)
        {
            CheckFile(path);
        }

        var connection = Connect(path, exists ? SqliteOpenMode.ReadWrite : SqliteOpenMode.ReadWriteCreate);
        try
        {
            if (exists)
            {
                // Before anything writes: a damaged database is refused as it is.
                var check = Scalar(connection, "PRAGMA quick_check") as string;
                if (check != "ok")
                {
                    throw Refused(path, $"is damaged (SQLite quick_check: {FirstLine(check)})");
                }
            }

            Execute(connection, "PRAGMA journal_mode=WAL");
            Execute(connection, "PRAGMA synchronous=FULL");
            Execute(connection, "CREATE TABLE IF NOT EXISTS objects (bucket TEXT NOT NULL, ns TEXT NOT NULL, name TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (bucket, ns, name))");
            Execute(connection, "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)");
            Execute(connection, "CREATE TABLE IF NOT EXISTS probe (id INTEGER PRIMARY KEY, data BLOB NOT NULL)");
            return new SqliteObjectStore(path, connection);
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw Refused(path, $"cannot be opened as a cluster database ({Reason(e)})", e);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// An online, consistent copy of the database at <paramref name="source"/> (a data directory a host may be serving)
    /// into the new file <paramref name="target"/>: <c>VACUUM INTO</c> reads one snapshot of a read transaction, so
    /// the copy holds every write committed before it started and nothing half-written; the running host is not paused.
    /// Returns how many objects and which revision the copy holds, read back from the copy.
    /// </summary>
    public static (long Objects, long Revision) Backup(string directory, string target)
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetFullPath(directory), FileName);
        if (!File.Exists(path))
        {
            throw new StorageRefusedException($"{path} does not exist: {directory} holds no cluster to back up");
        }

        CheckFile(path);
        target = System.IO.Path.GetFullPath(target);
        if (File.Exists(target))
        {
            throw new StorageRefusedException($"{target} already exists: back up into a new file");
        }

        using (var connection = Connect(path, SqliteOpenMode.ReadWrite))
        {
            using var vacuum = connection.CreateCommand();
            vacuum.CommandText = "VACUUM INTO $target";
            vacuum.Parameters.AddWithValue("$target", target);
            vacuum.ExecuteNonQuery();
        }

        return Verify(target);
    }

    /// <summary>
    /// Checks that <paramref name="file"/> is a whole, undamaged cluster database whose every object parses (what a
    /// restore needs before it replaces anything); returns its object count and revision.
    /// </summary>
    public static (long Objects, long Revision) Verify(string file)
    {
        file = System.IO.Path.GetFullPath(file);
        CheckFile(file);
        using var connection = Connect(file, SqliteOpenMode.ReadOnly);
        try
        {
            if (Scalar(connection, "PRAGMA quick_check") is not "ok")
            {
                throw Refused(file, "is damaged (SQLite quick_check failed)");
            }

            var view = new InMemoryObjectStore();
            Load(connection, file, view);
            return (view.Count, view.Revision);
        }
        catch (SqliteException e)
        {
            throw Refused(file, $"is not a cluster database ({Reason(e)})", e);
        }
    }

    /// <summary>A pragma's value on the store's own connection (synchronous is per connection), for tests and diagnostics.</summary>
    internal object? Setting(string pragma) => Scalar(_connection, $"PRAGMA {pragma}");

    public void LoadInto(InMemoryObjectStore view)
    {
        try
        {
            Load(_connection, Path, view);
        }
        catch (SqliteException e)
        {
            throw Refused(Path, $"cannot be read ({Reason(e)})", e);
        }
    }

    public void Put(long revision, string bucket, string ns, string name, StoredObject obj) =>
        Write(revision, () => Run(_put, bucket, ns, name, Encoding.UTF8.GetString(obj.Json)));

    public void Remove(long revision, string bucket, string ns, string name) =>
        Write(revision, () => Run(_remove, bucket, ns, name));

    /// <summary>
    /// Rewrites a 256 KiB row and fsyncs it: a write larger than most objects, so that space a failed write left
    /// allocated in the WAL file (enough for a tiny write) does not pass for a disk that takes writes again.
    /// </summary>
    public void Probe()
    {
        try
        {
            using var transaction = _connection.BeginTransaction();
            using var touch = _connection.CreateCommand();
            touch.Transaction = transaction;
            touch.CommandText = "INSERT INTO probe (id, data) VALUES (1, randomblob(262144)) ON CONFLICT (id) DO UPDATE SET data = excluded.data";
            touch.ExecuteNonQuery();
            transaction.Commit();
        }
        catch (SqliteException e)
        {
            throw new StorageUnavailableException($"{Path}: {Reason(e)}", e);
        }
    }

    public void Dispose()
    {
        _put.Dispose();
        _remove.Dispose();
        _setRevision.Dispose();
        _connection.Dispose();
    }

    /// <summary>One transaction: the change and the revision it commits, fsynced before this returns.</summary>
    private void Write(long revision, Action change)
    {
        SqliteTransaction? transaction = null;
        try
        {
            transaction = _connection.BeginTransaction();
            _put.Transaction = _remove.Transaction = _setRevision.Transaction = transaction;
            change();
            Run(_setRevision, revision);
            transaction.Commit();
        }
        catch (SqliteException e)
        {
            // Dispose rolls back what is left of the transaction; SQLite may already have rolled it back itself.
            throw new StorageUnavailableException($"{Path}: {Reason(e)}", e);
        }
        finally
        {
            transaction?.Dispose();
        }
    }

    private static void Load(SqliteConnection connection, string path, InMemoryObjectStore view)
    {
        view.Revision = Scalar(connection, "SELECT value FROM meta WHERE key = 'revision'") is long stored ? stored : 0;
        using var all = connection.CreateCommand();
        all.CommandText = "SELECT bucket, ns, name, json FROM objects";
        using var reader = all.ExecuteReader();
        while (reader.Read())
        {
            var (bucket, ns, name) = (reader.GetString(0), reader.GetString(1), reader.GetString(2));
            StoredObject obj;
            try
            {
                obj = StoredObject.Parse(Encoding.UTF8.GetBytes(reader.GetString(3)));
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
            {
                throw Refused(path, $"holds {ObjectName(bucket, ns, name)}, which does not parse ({FirstLine(e.Message)}); restore a backup, or remove that object with: " +
                    $"sqlite3 {path} \"DELETE FROM objects WHERE bucket = '{bucket}' AND ns = '{ns}' AND name = '{name}'\"", e);
            }

            view.Put(bucket, ns, name, obj);
        }
    }

    /// <summary>The checks SQLite itself would not make before writing to the file: empty, not SQLite, truncated.</summary>
    private static void CheckFile(string path)
    {
        var length = new FileInfo(path).Length;
        if (length == 0)
        {
            throw Refused(path, "is empty (0 bytes)");
        }

        Span<byte> header = stackalloc byte[100];
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            if (file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length || !header[..16].SequenceEqual(Header))
            {
                throw Refused(path, "is not an SQLite database");
            }
        }

        // The file header (sqlite.org/fileformat.html): page size at 16 (1 means 65536), page count at 28, valid when
        // the change counter at 24 equals the version-valid-for number at 92.
        var pageSize = BinaryPrimitives.ReadUInt16BigEndian(header[16..]) switch
        {
            1 => 65536L,
            var size => size,
        };
        var pages = BinaryPrimitives.ReadUInt32BigEndian(header[28..]);
        var countValid = BinaryPrimitives.ReadUInt32BigEndian(header[24..]) == BinaryPrimitives.ReadUInt32BigEndian(header[92..]);
        if (countValid && pages > 0 && pageSize * pages > length)
        {
            throw Refused(path, $"is truncated ({length} bytes; its header says {pageSize * pages})");
        }
    }

    private static StorageRefusedException Refused(string path, string what, Exception? inner = null) =>
        new($"{path} {what}: the host will not serve it and has left it as it is. Restore a backup into the data directory " +
            "(the host's restore command), or move the file away to start an empty cluster", inner);

    private static string ObjectName(string bucket, string ns, string name)
    {
        var slash = bucket.IndexOf('/', StringComparison.Ordinal);
        var (group, plural) = slash < 0 ? ("", bucket) : (bucket[..slash], bucket[(slash + 1)..]);
        var resource = group.Length == 0 ? plural : $"{plural}.{group}";
        return ns.Length == 0 ? $"{resource} {name}" : $"{resource} {ns}/{name}";
    }

    private static string Reason(SqliteException e) => FirstLine(e.Message.Replace("SQLite Error ", "SQLite error ", StringComparison.Ordinal));

    private static string FirstLine(string? text) => text is null ? "no answer" : text.Split('\n', 2)[0].Trim().TrimEnd('.');

    private static SqliteConnection Connect(string path, SqliteOpenMode mode)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = mode,
            Pooling = false,
        }.ToString());
        connection.Open();
        return connection;
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private SqliteCommand Prepare(string sql, params string[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var p in parameters)
        {
            command.Parameters.Add(new SqliteParameter(p, null));
        }

        command.Prepare();
        return command;
    }

    private static void Run(SqliteCommand command, params object[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i];
        }

        command.ExecuteNonQuery();
    }
}
