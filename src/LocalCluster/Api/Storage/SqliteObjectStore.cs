using System.Text;
using Microsoft.Data.Sqlite;

namespace Vers.LocalCluster.Api.Storage;

/// <summary>
/// The store kept in SQLite, like k3s's single-node datastore: every write is committed before the API
/// answers, so an acknowledged write survives a crash (WAL journal: a committed transaction is durable
/// across a killed process); the revision counter is persisted with each write, so resourceVersions keep
/// increasing across restarts. Reads are served from an in-memory mirror loaded at start.
/// Not thread-safe, like every <see cref="IObjectStore"/>: <see cref="ResourceStore"/> serialises calls.
/// </summary>
internal sealed class SqliteObjectStore : IObjectStore, IDisposable
{
    private readonly InMemoryObjectStore _mirror = new();
    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _put;
    private readonly SqliteCommand _remove;
    private readonly SqliteCommand _setRevision;
    private long _revision;

    public SqliteObjectStore(string directory)
    {
        Directory.CreateDirectory(directory);
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(directory, "cluster.db"),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString());
        _connection.Open();
        Execute("PRAGMA journal_mode=WAL");
        // NORMAL in WAL mode: a commit survives a process crash (only an OS crash may lose the last ones).
        Execute("PRAGMA synchronous=NORMAL");
        Execute("CREATE TABLE IF NOT EXISTS objects (bucket TEXT NOT NULL, ns TEXT NOT NULL, name TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (bucket, ns, name))");
        Execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)");
        Load();
        _put = Prepare("INSERT INTO objects (bucket, ns, name, json) VALUES ($b, $n, $m, $j) ON CONFLICT (bucket, ns, name) DO UPDATE SET json = excluded.json", "$b", "$n", "$m", "$j");
        _remove = Prepare("DELETE FROM objects WHERE bucket = $b AND ns = $n AND name = $m", "$b", "$n", "$m");
        _setRevision = Prepare("INSERT INTO meta (key, value) VALUES ('revision', $r) ON CONFLICT (key) DO UPDATE SET value = excluded.value", "$r");
    }

    public long Revision => _revision;

    public IEnumerable<string> Buckets => _mirror.Buckets;

    public long NextRevision() => ++_revision;

    public StoredObject? Get(string bucket, string ns, string name) => _mirror.Get(bucket, ns, name);

    public IEnumerable<StoredObject> List(string bucket, string? ns) => _mirror.List(bucket, ns);

    public void Put(string bucket, string ns, string name, StoredObject obj)
    {
        using var transaction = _connection.BeginTransaction();
        Run(_put, transaction, bucket, ns, name, Encoding.UTF8.GetString(obj.Json));
        Run(_setRevision, transaction, _revision);
        transaction.Commit();
        _mirror.Put(bucket, ns, name, obj);
    }

    public bool Remove(string bucket, string ns, string name)
    {
        using var transaction = _connection.BeginTransaction();
        Run(_remove, transaction, bucket, ns, name);
        Run(_setRevision, transaction, _revision);
        transaction.Commit();
        return _mirror.Remove(bucket, ns, name);
    }

    public void Dispose()
    {
        _put.Dispose();
        _remove.Dispose();
        _setRevision.Dispose();
        _connection.Dispose();
    }

    private void Load()
    {
        using (var revision = _connection.CreateCommand())
        {
            revision.CommandText = "SELECT value FROM meta WHERE key = 'revision'";
            _revision = revision.ExecuteScalar() is long stored ? stored : 0;
        }

        using var all = _connection.CreateCommand();
        all.CommandText = "SELECT bucket, ns, name, json FROM objects";
        using var reader = all.ExecuteReader();
        while (reader.Read())
        {
            _mirror.Put(reader.GetString(0), reader.GetString(1), reader.GetString(2), StoredObject.Parse(Encoding.UTF8.GetBytes(reader.GetString(3))));
        }
    }

    private void Execute(string sql)
    {
        using var command = _connection.CreateCommand();
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

    private static void Run(SqliteCommand command, SqliteTransaction transaction, params object[] values)
    {
        command.Transaction = transaction;
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i];
        }

        command.ExecuteNonQuery();
    }
}
