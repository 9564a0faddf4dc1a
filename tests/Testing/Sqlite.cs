using Microsoft.Data.Sqlite;

namespace Vers.Testing;

/// <summary>What a test does to a data directory's cluster.db from outside, as another program would.</summary>
internal static class Sqlite
{
    /// <summary>
    /// Checkpoints the WAL into the database and truncates it (from a connection of its own, as the sqlite3 shell
    /// would), so the next write must grow the WAL file: on a full disk it then fails, instead of reusing WAL space.
    /// </summary>
    public static void EmptyWal(string dataDir)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(dataDir, "cluster.db")};Pooling=False");
        connection.Open();
        using var checkpoint = connection.CreateCommand();
        checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
        using var reader = checkpoint.ExecuteReader();
        reader.Read();
        if (reader.GetInt32(0) != 0)
        {
            throw new InvalidOperationException("the WAL checkpoint was blocked");
        }
    }
}
