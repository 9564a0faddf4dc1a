using System.Globalization;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;
using Vers.Kube;
using Vers.Kube.Informers;
using Vers.Testing;

namespace Vers.Kube.Tests.Informers;

/// <summary>
/// <see cref="ReadYourWrites{T}"/>: our own writes are read until the informer delivers them (a create, a status
/// write), a copy older than them is stale (expectations), and the cases where the watch and the response race. The
/// informer is stopped where a test needs the cache to lag: it resumes from where it stopped.
/// </summary>
public sealed class ReadYourWritesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<Cluster<T>> StartAsync<T>(TimeProvider? time = null)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var api = await ApiServer.StartAsync();
        var running = new RunningInformer<T>(api, ApiServer.ConfigMaps);
        var cluster = new Cluster<T>(api, running, new ReadYourWrites<T>(running.Informer, time));
        await running.StartAsync();
        return cluster;
    }

    private static V1ConfigMap Version(string name, string resourceVersion) =>
        new() { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default", ResourceVersion = resourceVersion } };

    [Fact]
    public async Task A_create_is_read_back_until_the_informer_delivers_it()
    {
        await using var c = await StartAsync<V1ConfigMap>();
        await c.Running.StopAsync();

        var created = await c.Api.CreateConfigMapAsync("a");
        c.Writes.Wrote(created);

        Assert.Null(c.Running.Informer.Get("default", "a"));
        Assert.Equal(created.Metadata.ResourceVersion, c.Writes.Get("default", "a")?.Metadata.ResourceVersion);
        await c.Running.StartAsync();
        await c.Running.SeenAsync(WatchEventType.Added, "a");
        Assert.Same(c.Running.Informer.Get("default", "a"), c.Writes.Get("default", "a"));
        Assert.Equal(0, c.Writes.Count);
    }

    [Fact]
    public async Task A_status_write_is_read_instead_of_the_older_cached_copy_and_makes_that_copy_stale()
    {
        await using var c = await StartAsync<V1ConfigMap>();
        var old = await c.CachedAsync("a");
        await c.Running.StopAsync();

        var patched = await c.Api.UpdateConfigMapAsync("a", "written");
        c.Writes.Wrote(patched);

        Assert.Equal("written", c.Writes.Get("default", "a")!.Data["value"]);
        Assert.Equal("written", c.Writes.Newest(old).Data["value"]);
        Assert.NotNull(c.Writes.Stale(old));
        Assert.Null(c.Writes.Stale(patched));
        await c.Running.StartAsync();
        await c.Running.SeenAsync(WatchEventType.Modified, "a");
        Assert.Same(c.Running.Informer.Get("default", "a"), c.Writes.Get("default", "a"));
    }

    [Fact]
    public async Task A_copy_older_than_our_pending_write_is_stale()
    {
        await using var c = await StartAsync<V1ConfigMap>();
        var created = await c.Api.CreateConfigMapAsync("a");

        c.Writes.Wrote(Version("a", "999999"));

        Assert.NotNull(c.Writes.Stale(created));
    }

    [Fact]
    public async Task A_copy_the_cache_has_moved_on_from_is_stale_even_with_no_write_pending()
    {
        await using var c = await StartAsync<V1ConfigMap>();
        var old = await c.Api.CreateConfigMapAsync("a");
        await c.Api.UpdateConfigMapAsync("a", "newer");
        var cached = (await c.Running.SeenAsync(WatchEventType.Modified, "a")).Object;

        Assert.NotNull(c.Writes.Stale(old));
        Assert.Null(c.Writes.Stale(cached));
        Assert.Equal("newer", c.Writes.Newest(old).Data["value"]);
    }

    [Fact]
    public async Task A_write_whose_event_beat_the_response_is_not_held()
    {
        await using var c = await StartAsync<V1ConfigMap>();
        await c.Api.CreateConfigMapAsync("a");
        var patched = await c.Api.UpdateConfigMapAsync("a", "written");
        await c.Running.SeenAsync(WatchEventType.Modified, "a");

        c.Writes.Wrote(patched);

        Assert.Equal(0, c.Writes.Count);
    }

    /// <summary>The write removed the last finalizer and the DELETED event came first: held, it would look alive with no event left to correct it.</summary>
    [Fact]
    public async Task A_terminating_object_whose_deletion_beat_the_response_is_not_held()
    {
        await using var c = await StartAsync<V1ConfigMap>();
        var configMap = ApiServer.ConfigMap("a");
        configMap.Metadata.Finalizers = ["example.com/hold"];
        await c.Api.Rest.CreateAsync(ApiServer.ConfigMaps, "default", configMap, Ct);
        await c.Api.DeleteConfigMapAsync("a");

        var released = await c.Api.Rest.PatchAsync<V1ConfigMap>(ApiServer.ConfigMaps, "default", "a", new { metadata = new { finalizers = Array.Empty<string>() } }, Ct);
        await c.Running.SeenAsync(WatchEventType.Deleted, "a");
        c.Writes.Wrote(released);

        Assert.NotNull(released.Metadata.DeletionTimestamp);
        Assert.Null(c.Writes.Get("default", "a"));
        Assert.Equal(0, c.Writes.Count);
    }

    [Fact]
    public async Task A_deletion_ends_what_we_wrote_but_not_a_later_object_of_that_name()
    {
        await using var c = await StartAsync<V1ConfigMap>();
        await c.CachedAsync("a");
        var readAtDeletion = new Observed<string?>();
        c.Running.Informer.AddHandler((type, obj) =>
        {
            if (type == WatchEventType.Deleted)
            {
                readAtDeletion.Add(c.Writes.Get("default", "a")?.Metadata.ResourceVersion);
            }
        });
        await c.Running.StopAsync();

        await c.Api.DeleteConfigMapAsync("a");
        var recreated = await c.Api.CreateConfigMapAsync("a", value: "2");
        c.Writes.Wrote(recreated);
        await c.Running.StartAsync();

        Assert.Equal(recreated.Metadata.ResourceVersion, await readAtDeletion.NextAsync(_ => true));
        await c.Running.SeenAsync(WatchEventType.Added, "a");

        // A write the informer has not shown when the object is deleted: the deletion is later, and ends it.
        c.Writes.Wrote(Version("a", (long.Parse(recreated.Metadata.ResourceVersion, CultureInfo.InvariantCulture) + 1).ToString(CultureInfo.InvariantCulture)));
        await c.Api.DeleteConfigMapAsync("a");
        Assert.Null(await readAtDeletion.NextAsync(_ => true));
    }

    [Fact]
    public async Task An_older_answer_recorded_late_does_not_replace_a_newer_write()
    {
        await using var c = await StartAsync<V1ConfigMap>();
        await c.CachedAsync("a");
        await c.Running.StopAsync();

        var second = await c.Api.UpdateConfigMapAsync("a", "2");
        var third = await c.Api.UpdateConfigMapAsync("a", "3");
        c.Writes.Wrote(third);
        c.Writes.Wrote(second);

        Assert.Equal("3", c.Writes.Get("default", "a")!.Data["value"]);
    }

    [Fact]
    public async Task Our_write_lapses_after_the_timeout_and_lapsed_ones_nobody_reads_are_swept()
    {
        var time = new FakeTimeProvider();
        await using var c = await StartAsync<V1ConfigMap>(time);
        var cached = await c.CachedAsync("a");

        c.Writes.Wrote(Version("a", "999999"));
        c.Writes.Wrote(Version("unread", "999999"));
        time.Advance(ReadYourWrites<V1ConfigMap>.Timeout - TimeSpan.FromSeconds(1));
        Assert.Equal("999999", c.Writes.Get("default", "a")!.Metadata.ResourceVersion);
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.Same(c.Running.Informer.Get("default", "a"), c.Writes.Get("default", "a"));
        Assert.Null(c.Writes.Stale(cached));
        Assert.Equal(1, c.Writes.Count);
        for (var i = 0; i < 254; i++)
        {
            c.Writes.Wrote(Version($"other-{i}", "999999"));
        }

        Assert.Equal(254, c.Writes.Count);
    }

    [Theory]
    [InlineData("9", "10", -1)]
    [InlineData("10", "10", 0)]
    [InlineData("11", "10", 1)]
    [InlineData("opaque", "opaque", 0)]
    [InlineData("opaque", "other", null)]
    [InlineData("10", "opaque", null)]
    public void Numeric_versions_compare_as_numbers_and_others_only_for_equality(string a, string b, int? expected) =>
        Assert.Equal(expected, ReadYourWrites<V1ConfigMap>.Compare(Version("a", a), Version("a", b)) is { } c ? Math.Sign(c) : null);

    [Fact]
    public async Task What_is_remembered_is_a_private_copy_the_writer_can_no_longer_change()
    {
        await using var c = await StartAsync<V1ConfigMap>();
        await c.Running.StopAsync();

        var created = await c.Api.CreateConfigMapAsync("a");
        c.Writes.Wrote(created);
        created.Data["value"] = "changed after the write";

        Assert.Equal("1", c.Writes.Get("default", "a")!.Data["value"]);
    }

    /// <summary>Get answers like the cache (shared: no tree kept, writes throw); Newest hands out a private copy, like a controller.</summary>
    [Fact]
    public async Task A_generic_object_is_held_shared_like_a_cached_one_and_Newest_answers_a_private_copy()
    {
        await using var c = await StartAsync<GenericObject>();
        await c.Api.CreateConfigMapAsync("a");
        var old = await c.Api.Rest.GetAsync<GenericObject>(ApiServer.ConfigMaps, "default", "a", Ct);
        await c.Running.SeenAsync(WatchEventType.Added, "a");
        await c.Running.StopAsync();

        var patched = await c.Api.Rest.PatchAsync<GenericObject>(ApiServer.ConfigMaps, "default", "a", new { data = new { value = "2" } }, Ct);
        c.Writes.Wrote(patched);

        var held = c.Writes.Get("default", "a")!;
        Assert.Equal("2", (string?)held.Fields["data"]?["value"]);
        Assert.Throws<InvalidOperationException>(() => held.Fields = new JsonObject());
        var newest = c.Writes.Newest(old);
        Assert.NotSame(held, newest);
        Assert.Equal("2", (string?)newest.Fields["data"]?["value"]);
        newest.Fields = new JsonObject();
        Assert.Equal("2", (string?)c.Writes.Get("default", "a")!.Fields["data"]?["value"]);
    }

    /// <summary>An API server, an informer of its ConfigMaps and read-your-writes over it.</summary>
    private sealed record Cluster<T>(ApiServer Api, RunningInformer<T> Running, ReadYourWrites<T> Writes) : IAsyncDisposable
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        /// <summary>Creates ConfigMap <paramref name="name"/> and waits until the cache shows it.</summary>
        public async Task<V1ConfigMap> CachedAsync(string name)
        {
            var created = await Api.CreateConfigMapAsync(name);
            await Running.SeenAsync(WatchEventType.Added, name);
            return created;
        }

        public async ValueTask DisposeAsync()
        {
            await Running.DisposeAsync();
            await Api.DisposeAsync();
        }
    }
}
