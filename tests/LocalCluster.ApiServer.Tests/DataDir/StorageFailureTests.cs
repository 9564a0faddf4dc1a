using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Data.Sqlite;
using Vers.LocalCluster.ApiServer;
using Vers.LocalCluster.ApiServer.Storage;

using Vers.Testing;

namespace Vers.LocalCluster.ApiServer.Tests.DataDir;

/// <summary>
/// When the disk under the data directory fails or stalls: writes answer as kube-apiserver answers for unreachable
/// storage (500 ServerTimeout with Retry-After), /readyz fails its etcd check, reads go on, and all of it recovers.
/// </summary>
public sealed class StorageFailureTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("vers-storage-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Reads_are_answered_while_a_write_waits_on_a_locked_database()
    {
        await using var cluster = await TestCluster.StartAsync(new KubeApiServerOptions { DataDir = _root });
        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "before" } }, "default", cancellationToken: Ct);

        Task<V1ConfigMap> stuck;
        using (var holder = LockDatabase())
        {
            stuck = cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "stuck" } }, "default", cancellationToken: Ct);
            await WhileWriteWaitsAsync(stuck);

            var read = await cluster.Client.CoreV1.ReadNamespacedConfigMapAsync("before", "default", cancellationToken: Ct);
            var list = await cluster.Client.CoreV1.ListNamespacedConfigMapAsync("default", cancellationToken: Ct);

            Assert.False(stuck.IsCompleted);
            Assert.Equal("before", read.Metadata.Name);
            Assert.DoesNotContain(list.Items, c => c.Metadata.Name == "stuck");
        }

        Assert.Equal("stuck", (await stuck).Metadata.Name);
    }

    [Fact]
    public async Task Readyz_fails_its_etcd_check_while_a_write_is_stuck_and_recovers_after()
    {
        await using var cluster = await TestCluster.StartAsync(new KubeApiServerOptions { DataDir = _root });
        using var http = new HttpClient { BaseAddress = cluster.Server.BaseAddress };

        Task<V1ConfigMap> stuck;
        string whileStuck;
        HttpStatusCode statusWhileStuck;
        using (LockDatabase())
        {
            stuck = cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "stuck" } }, "default", cancellationToken: Ct);
            await WhileWriteWaitsAsync(stuck);
            using var response = await http.GetAsync("readyz", Ct);
            (statusWhileStuck, whileStuck) = (response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
        }

        await stuck;
        await Task.Delay(TimeSpan.FromSeconds(1.1), Ct); // past the probe's one-second memo

        Assert.Equal(HttpStatusCode.InternalServerError, statusWhileStuck);
        Assert.Contains("[-]etcd failed: reason withheld", whileStuck, StringComparison.Ordinal);
        Assert.Equal("ok", await http.GetStringAsync("readyz", Ct));
    }

    [Fact]
    public async Task On_a_full_disk_a_write_answers_ServerTimeout_with_Retry_After_and_changes_nothing()
    {
        using var disk = TmpfsMount.MountOrSkip(megabytes: 8);
        await using var cluster = await TestCluster.StartAsync(new KubeApiServerOptions { DataDir = disk.Path });
        using var http = new HttpClient { BaseAddress = cluster.Server.BaseAddress };
        var revision = cluster.Server.Store.Revision;
        Sqlite.EmptyWal(disk.Path);
        disk.Fill();

        using var response = await http.PostAsync(
            "api/v1/namespaces/default/configmaps",
            new StringContent("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"big"},"data":{"a":"1"}}""", System.Text.Encoding.UTF8, "application/json"),
            Ct);
        var status = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("2", response.Headers.RetryAfter?.ToString());
        Assert.Contains("\"reason\":\"ServerTimeout\"", status, StringComparison.Ordinal);
        Assert.Contains("The create operation against configmaps could not be completed at this time, please try again.", status, StringComparison.Ordinal);
        Assert.Equal(revision, cluster.Server.Store.Revision);
        var missing = await Assert.ThrowsAsync<HttpOperationException>(() => cluster.Client.CoreV1.ReadNamespacedConfigMapAsync("big", "default", cancellationToken: Ct));
        Assert.Equal(HttpStatusCode.NotFound, missing.Response.StatusCode);
    }

    [Fact]
    public async Task On_a_full_disk_readyz_fails_and_recovers_once_there_is_space_again()
    {
        using var disk = TmpfsMount.MountOrSkip(megabytes: 8);
        await using var cluster = await TestCluster.StartAsync(new KubeApiServerOptions { DataDir = disk.Path });
        using var http = new HttpClient { BaseAddress = cluster.Server.BaseAddress };
        Sqlite.EmptyWal(disk.Path);
        var filler = disk.Fill();
        await Assert.ThrowsAsync<HttpOperationException>(() => cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "a" } }, "default", cancellationToken: Ct));

        using var failing = await http.GetAsync("readyz", Ct);
        Assert.Equal(HttpStatusCode.InternalServerError, failing.StatusCode);
        Assert.Contains("[-]etcd failed", await failing.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.NotNull(cluster.Server.StorageFailure);

        File.Delete(filler);
        await Task.Delay(TimeSpan.FromSeconds(1.1), Ct); // past the probe's one-second memo

        Assert.Equal("ok", await http.GetStringAsync("readyz", Ct));
        Assert.Equal("a", (await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "a" } }, "default", cancellationToken: Ct)).Metadata.Name);
        Assert.Null(cluster.Server.StorageFailure);
    }

    /// <summary>Another program's write transaction on cluster.db (as a sqlite3 shell would hold it): the server's writes wait.</summary>
    private SqliteConnection LockDatabase()
    {
        var connection = new SqliteConnection($"Data Source={Path.Combine(_root, SqliteObjectStore.FileName)};Pooling=False");
        connection.Open();
        using var begin = connection.CreateCommand();
        begin.CommandText = "BEGIN IMMEDIATE";
        begin.ExecuteNonQuery();
        return connection;
    }

    /// <summary>Waits until <paramref name="write"/> has reached storage and waits there (the server holds its writer lock).</summary>
    private static async Task WhileWriteWaitsAsync(Task write)
    {
        // The request reaches the commit within moments; a read's answer cannot tell, so give it time to get there.
        await Task.Delay(TimeSpan.FromMilliseconds(500), Ct);
        Assert.False(write.IsCompleted, "the write should be waiting on the locked database");
    }
}
