using k8s;
using k8s.Models;
using Microsoft.Data.Sqlite;
using Vers.LocalCluster.ApiServer;
using Vers.LocalCluster.ApiServer.Storage;
using Vers.LocalCluster.Hosting;

namespace Vers.LocalCluster.ApiServer.Tests.DataDir;

/// <summary>
/// The data directory: held by one server at a time, refused when it cannot be served (and then left as it was),
/// backed up online and restored.
/// </summary>
public sealed class DataDirectoryTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("vers-datadir-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string DataDir => Path.Combine(_root, "data");

    private string Database => Path.Combine(DataDir, SqliteObjectStore.FileName);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task A_second_server_on_a_held_data_dir_is_refused_naming_the_directory_and_the_holders_PID()
    {
        await using var first = await TestCluster.StartAsync(new KubeApiServerOptions { DataDir = DataDir });

        var refused = await Assert.ThrowsAsync<DataDirectoryLockedException>(() => TestCluster.StartAsync(new KubeApiServerOptions { DataDir = DataDir }));

        Assert.Contains(DataDir, refused.Message, StringComparison.Ordinal);
        Assert.Contains($"PID {Environment.ProcessId}", refused.Message, StringComparison.Ordinal);
        Assert.NotNull(await first.Client.CoreV1.ReadNamespaceAsync("default", cancellationToken: Ct));
    }

    [Fact]
    public async Task The_data_dir_is_free_again_once_its_server_stops()
    {
        await (await TestCluster.StartAsync(new KubeApiServerOptions { DataDir = DataDir })).DisposeAsync();

        await using var second = await TestCluster.StartAsync(new KubeApiServerOptions { DataDir = DataDir });

        Assert.NotNull(await second.Client.CoreV1.ReadNamespaceAsync("default", cancellationToken: Ct));
    }

    [Fact]
    public void Every_write_is_fsynced_before_it_is_acknowledged()
    {
        using var store = SqliteObjectStore.Open(DataDir);

        // WAL with synchronous=FULL (2): each commit syncs the WAL, so a commit survives a power loss, not only a crash.
        Assert.Equal("wal", store.Setting("journal_mode"));
        Assert.Equal(2L, store.Setting("synchronous"));
    }

    [Theory]
    [InlineData("empty", "is empty (0 bytes)")]
    [InlineData("text", "is not an SQLite database")]
    [InlineData("truncated", "is truncated")]
    public async Task A_database_that_is_not_a_whole_SQLite_file_is_refused_naming_it_and_left_as_it_was(string damage, string reason)
    {
        await CreateDatabaseAsync();
        var whole = await File.ReadAllBytesAsync(Database, Ct);
        byte[] damaged = damage switch
        {
            "empty" => [],
            "text" => "name,value\nsettings,1\n"u8.ToArray().Concat(new byte[200]).ToArray(),
            _ => whole[..(whole.Length / 2)],
        };
        await File.WriteAllBytesAsync(Database, damaged, Ct);

        var refused = await Assert.ThrowsAsync<StorageRefusedException>(() => TestCluster.StartAsync(new KubeApiServerOptions { DataDir = DataDir }));

        Assert.StartsWith($"{Database} {reason}", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', refused.Message);
        Assert.Equal(damaged, await File.ReadAllBytesAsync(Database, Ct));
    }

    [Fact]
    public async Task A_stored_object_that_does_not_parse_is_refused_naming_its_resource_namespace_and_name()
    {
        await CreateDatabaseAsync();
        using (var connection = new SqliteConnection($"Data Source={Database}"))
        {
            connection.Open();
            using var corrupt = connection.CreateCommand();
            corrupt.CommandText = "UPDATE objects SET json = '{\"metadata\": {\"name\": \"settings\"' WHERE bucket = '/configmaps' AND name = 'settings'";
            Assert.Equal(1, corrupt.ExecuteNonQuery());
        }

        var refused = await Assert.ThrowsAsync<StorageRefusedException>(() => TestCluster.StartAsync(new KubeApiServerOptions { DataDir = DataDir }));

        Assert.Contains("holds configmaps team/settings, which does not parse", refused.Message, StringComparison.Ordinal);
        Assert.Contains(Database, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_backup_taken_while_the_server_runs_restores_every_object_at_its_resourceVersion()
    {
        var backup = Path.Combine(_root, "backup.db");
        IReadOnlyList<string> before;
        await using (var server = await TestCluster.StartAsync(new KubeApiServerOptions { DataDir = DataDir }))
        {
            await FillAsync(server.Client);
            before = await EverythingAsync(server.Client);
            var (objects, _) = SqliteObjectStore.Backup(DataDir, backup);
            Assert.True(objects >= before.Count, $"{objects} objects in the backup, {before.Count} listed");

            // Written after the backup: not in it.
            await server.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "later" } }, "team", cancellationToken: Ct);
        }

        var restoredDir = Path.Combine(_root, "restored");
        StorageCommands.RestoreInto(restoredDir, backup, TimeProvider.System);
        await using var restored = await TestCluster.StartAsync(new KubeApiServerOptions { DataDir = restoredDir });

        Assert.Equal(before, await EverythingAsync(restored.Client));
    }

    [Fact]
    public async Task Restore_keeps_the_database_it_replaces_beside_it()
    {
        var backup = Path.Combine(_root, "backup.db");
        await using (var server = await TestCluster.StartAsync(new KubeApiServerOptions { DataDir = DataDir }))
        {
            SqliteObjectStore.Backup(DataDir, backup);
            await FillAsync(server.Client);
        }

        var (_, _, previous) = StorageCommands.RestoreInto(DataDir, backup, TimeProvider.System);

        Assert.NotNull(previous);
        Assert.True(SqliteObjectStore.Verify(previous).Objects > SqliteObjectStore.Verify(Database).Objects);
    }

    [Fact]
    public async Task Restore_refuses_while_a_server_holds_the_data_dir()
    {
        var backup = Path.Combine(_root, "backup.db");
        await using var server = await TestCluster.StartAsync(new KubeApiServerOptions { DataDir = DataDir });
        SqliteObjectStore.Backup(DataDir, backup);

        Assert.Throws<DataDirectoryLockedException>(() => StorageCommands.RestoreInto(DataDir, backup, TimeProvider.System));
    }

    [Fact]
    public async Task Restore_refuses_a_damaged_backup_and_changes_nothing()
    {
        await CreateDatabaseAsync();
        var before = await File.ReadAllBytesAsync(Database, Ct);
        var backup = Path.Combine(_root, "backup.db");
        await File.WriteAllBytesAsync(backup, before[..(before.Length / 2)], Ct);

        Assert.Throws<StorageRefusedException>(() => StorageCommands.RestoreInto(DataDir, backup, TimeProvider.System));

        Assert.Equal(before, await File.ReadAllBytesAsync(Database, Ct));
    }

    [Fact]
    public async Task A_backup_never_overwrites_a_file()
    {
        await CreateDatabaseAsync();
        var existing = Path.Combine(_root, "keep.db");
        await File.WriteAllTextAsync(existing, "mine", Ct);

        Assert.Throws<StorageRefusedException>(() => SqliteObjectStore.Backup(DataDir, existing));

        Assert.Equal("mine", await File.ReadAllTextAsync(existing, Ct));
    }

    /// <summary>A data directory with a namespace and a ConfigMap, written by a server that then stopped.</summary>
    private async Task CreateDatabaseAsync()
    {
        await using var server = await TestCluster.StartAsync(new KubeApiServerOptions { DataDir = DataDir });
        await FillAsync(server.Client);
    }

    private static async Task FillAsync(IKubernetes client)
    {
        if ((await client.CoreV1.ListNamespaceAsync(fieldSelector: "metadata.name=team", cancellationToken: Ct)).Items.Count == 0)
        {
            await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "team" } }, cancellationToken: Ct);
        }

        await client.CoreV1.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "settings" }, Data = new Dictionary<string, string> { ["a"] = "1" } }, "team", cancellationToken: Ct);
        for (var i = 0; i < 20; i++)
        {
            await client.CoreV1.CreateNamespacedSecretAsync(
                new V1Secret { Metadata = new V1ObjectMeta { Name = $"s{i}" }, StringData = new Dictionary<string, string> { ["k"] = $"{i}" } }, "team", cancellationToken: Ct);
        }
    }

    /// <summary>Every namespace, ConfigMap and Secret with its uid and resourceVersion.</summary>
    private static async Task<IReadOnlyList<string>> EverythingAsync(IKubernetes client)
    {
        var namespaces = (await client.CoreV1.ListNamespaceAsync(cancellationToken: Ct)).Items.Select(o => o.Metadata);
        var configMaps = (await client.CoreV1.ListConfigMapForAllNamespacesAsync(cancellationToken: Ct)).Items.Select(o => o.Metadata);
        var secrets = (await client.CoreV1.ListSecretForAllNamespacesAsync(cancellationToken: Ct)).Items.Select(o => o.Metadata);
        return [.. namespaces.Concat(configMaps).Concat(secrets).Select(m => $"{m.NamespaceProperty}/{m.Name} {m.Uid} {m.ResourceVersion}").Order(StringComparer.Ordinal)];
    }
}
