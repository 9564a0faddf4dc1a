using k8s;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;
using Vers.LocalCluster.ApiServer.Storage;

namespace Vers.LocalCluster.ApiServer.Tests.Storage;

/// <summary>The store packs an object's JSON once it has been committed for a while, and serves it unchanged.</summary>
public sealed class ColdPackingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_object_stays_as_written_while_hot_and_is_packed_by_a_later_write_once_cold()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 6, 0, 0, TimeSpan.Zero));
        await using var c = await TestCluster.StartAsync(new KubeApiServerOptions { Time = time });
        await CreateAsync(c, "first");
        Assert.False(Stored(c, "first").Packed);

        time.Advance(ResourceStore.PackAfter);
        await CreateAsync(c, "second");

        Assert.True(Stored(c, "first").Packed);
        Assert.False(Stored(c, "second").Packed);
    }

    [Fact]
    public async Task A_store_that_goes_quiet_packs_its_last_writes_once_they_have_cooled()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 6, 0, 0, TimeSpan.Zero));
        await using var c = await TestCluster.StartAsync(new KubeApiServerOptions { Time = time });
        await CreateAsync(c, "last");

        time.Advance(ResourceStore.PackAfter - TimeSpan.FromMilliseconds(1));
        Assert.False(Stored(c, "last").Packed);
        time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.True(Stored(c, "last").Packed);
    }

    [Fact]
    public async Task A_packed_version_that_was_replaced_is_not_kept_alive_by_the_packing_queue()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 6, 0, 0, TimeSpan.Zero));
        await using var c = await TestCluster.StartAsync(new KubeApiServerOptions { Time = time, WatchHistoryLimit = 1 });
        await CreateAsync(c, "first");
        var first = Weakly(Stored(c, "first"));
        time.Advance(ResourceStore.PackAfter);

        var replaced = await c.Client.CoreV1.ReadNamespacedConfigMapAsync("first", "default", cancellationToken: Ct);
        replaced.Data["a"] = "v2";
        await c.Client.CoreV1.ReplaceNamespacedConfigMapAsync(replaced, "first", "default", cancellationToken: Ct);
        await CreateAsync(c, "second"); // the watch history (one event) now holds another object
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        Assert.False(first.IsAlive);
    }

    [Fact]
    public async Task A_packed_object_reads_lists_and_watches_exactly_as_before()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 6, 0, 0, TimeSpan.Zero));
        await using var c = await TestCluster.StartAsync(new KubeApiServerOptions { Time = time });
        using var http = new HttpClient { BaseAddress = c.Server.BaseAddress };
        var created = await CreateAsync(c, "first");
        var before = await http.GetStringAsync("api/v1/namespaces/default/configmaps/first", Ct);

        time.Advance(ResourceStore.PackAfter);
        await CreateAsync(c, "second");
        Assert.True(Stored(c, "first").Packed);

        Assert.Equal(before, await http.GetStringAsync("api/v1/namespaces/default/configmaps/first", Ct));
        var list = await c.Client.CoreV1.ListNamespacedConfigMapAsync("default", cancellationToken: Ct);
        Assert.Equal("v1", list.Items.Single(i => i.Metadata.Name == "first").Data["a"]);
        // The watch history holds the packed version: a watch from before it replays it.
        var fromStart = (long.Parse(created.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture) - 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(10));
        using var stream = await http.GetStreamAsync($"api/v1/namespaces/default/configmaps?watch=true&resourceVersion={fromStart}", cts.Token);
        using var reader = new StreamReader(stream);
        var firstEvent = await reader.ReadLineAsync(cts.Token);
        Assert.Contains("\"name\":\"first\"", firstEvent, StringComparison.Ordinal);
        Assert.Contains("\"a\":\"v1\"", firstEvent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Objects_loaded_from_the_data_dir_are_packed()
    {
        var dataDir = Directory.CreateTempSubdirectory("vers-pack-").FullName;
        try
        {
            await using (var first = await TestCluster.StartAsync(new KubeApiServerOptions { DataDir = dataDir }))
            {
                await CreateAsync(first, "kept");
            }

            await using var second = await TestCluster.StartAsync(new KubeApiServerOptions { DataDir = dataDir });
            Assert.True(Stored(second, "kept").Packed);
            Assert.Equal("v1", (await second.Client.CoreV1.ReadNamespacedConfigMapAsync("kept", "default", cancellationToken: Ct)).Data["a"]);
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    private static Task<V1ConfigMap> CreateAsync(TestCluster c, string name) =>
        c.Client.CoreV1.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name }, Data = new Dictionary<string, string> { ["a"] = "v1" } }, "default", cancellationToken: Ct);

    /// <summary>A weak reference made outside the caller's frame, so no local of the test keeps the object alive.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference Weakly(object obj) => new(obj);

    private static StoredObject Stored(TestCluster c, string name) =>
        c.Server.Store.Get(c.Server.Store.Registry.Find("", "v1", "configmaps")!, "default", name)!;
}
