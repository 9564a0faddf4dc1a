using System.Text.Json;
using k8s;
using k8s.Models;
using Vers.LocalCluster.ApiServer;

namespace Vers.LocalCluster.ApiServer.Tests;

public sealed class WatchConformanceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static IAsyncEnumerator<(WatchEventType Type, object Object)> Watch(
        TestCluster c, CancellationToken ct, string? resourceVersion = null, bool bookmarks = false, int? timeoutSeconds = null,
        string? labelSelector = null, Action<Exception>? onError = null) =>
        c.Client.CustomObjects.WatchListNamespacedCustomObjectAsync(
            "example.com", "v1", "default", "widgets",
            allowWatchBookmarks: bookmarks, labelSelector: labelSelector, resourceVersion: resourceVersion,
            timeoutSeconds: timeoutSeconds, onError: onError, cancellationToken: ct).GetAsyncEnumerator(ct);

    private static async Task<(WatchEventType Type, JsonElement Object)> NextAsync(IAsyncEnumerator<(WatchEventType Type, object Object)> e)
    {
        var move = e.MoveNextAsync().AsTask();
        var done = await Task.WhenAny(move, Task.Delay(TimeSpan.FromSeconds(5), Ct));
        Assert.True(done == move, "no watch event within 5 s");
        Assert.True(await move, "watch ended");
        return (e.Current.Type, (JsonElement)e.Current.Object);
    }

    private static async Task<string> ListRvAsync(TestCluster c)
    {
        var list = (JsonElement)await c.Client.CustomObjects.ListNamespacedCustomObjectAsync("example.com", "v1", "default", "widgets", cancellationToken: Ct);
        return list.Str("metadata", "resourceVersion");
    }

    [Fact]
    public async Task Watch_from_zero_replays_current_objects_then_streams_changes()
    {
        await using var c = await TestCluster.StartAsync();
        await c.CreateWidgetCrdAsync();
        await c.CreateWidgetAsync("existing");
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        await using var watch = Watch(c, cts.Token, resourceVersion: "0");
        var first = await NextAsync(watch);
        Assert.Equal(WatchEventType.Added, first.Type);
        Assert.Equal("existing", first.Object.Str("metadata", "name"));

        await c.CreateWidgetAsync("fresh");
        var second = await NextAsync(watch);
        Assert.Equal((WatchEventType.Added, "fresh"), (second.Type, second.Object.Str("metadata", "name")));
        await cts.CancelAsync();
    }

    [Fact]
    public async Task Watch_from_resourceVersion_sends_only_later_changes_in_order()
    {
        await using var c = await TestCluster.StartAsync();
        await c.CreateWidgetCrdAsync();
        await c.CreateWidgetAsync("before");
        var rv = await ListRvAsync(c);
        await c.CreateWidgetAsync("after");
        await c.Client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("{\"spec\":{\"size\":5}}", V1Patch.PatchType.MergePatch), "example.com", "v1", "default", "widgets", "before", cancellationToken: Ct);
        await c.Client.CustomObjects.DeleteNamespacedCustomObjectAsync("example.com", "v1", "default", "widgets", "after", cancellationToken: Ct);

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        await using var watch = Watch(c, cts.Token, resourceVersion: rv);
        var events = new List<(WatchEventType, string)>();
        long last = long.Parse(rv);
        for (var i = 0; i < 3; i++)
        {
            var (type, obj) = await NextAsync(watch);
            events.Add((type, obj.Str("metadata", "name")));
            var eventRv = long.Parse(obj.Str("metadata", "resourceVersion"));
            Assert.True(eventRv > last);
            last = eventRv;
        }

        Assert.Equal([(WatchEventType.Added, "after"), (WatchEventType.Modified, "before"), (WatchEventType.Deleted, "after")], events);
        await cts.CancelAsync();
    }

    [Fact]
    public async Task Watch_from_compacted_resourceVersion_gets_410_Expired_error()
    {
        await using var c = await TestCluster.StartAsync(new KubeApiServerOptions { WatchHistoryLimit = 2 });
        await c.CreateWidgetCrdAsync();
        var rv = await ListRvAsync(c);
        for (var i = 0; i < 4; i++)
        {
            await c.CreateWidgetAsync($"w{i}");
        }

        var errors = new List<Exception>();
        await using var watch = Watch(c, Ct, resourceVersion: rv, onError: errors.Add);
        Assert.False(await watch.MoveNextAsync(), "the stream ends after the ERROR event");
        var status = Assert.IsType<KubernetesException>(Assert.Single(errors)).Status;
        Assert.Equal(410, status.Code);
        Assert.Equal("Expired", status.Reason);
        Assert.StartsWith("too old resource version: " + rv, status.Message);
    }

    [Fact]
    public async Task Watch_from_compacted_resourceVersion_names_the_oldest_revision_it_could_start_from()
    {
        // watch_cache.go getAllEventsSinceLocked: "too old resource version: %d (%d)" with the oldest held event - 1.
        await using var c = await TestCluster.StartAsync(new KubeApiServerOptions { WatchHistoryLimit = 2 });
        await c.CreateWidgetCrdAsync();
        var rv = long.Parse(await ListRvAsync(c));
        for (var i = 0; i < 4; i++)
        {
            await c.CreateWidgetAsync($"w{i}");
        }

        await using var watch = await WatchStream.OpenAsync(c, $"/apis/example.com/v1/namespaces/default/widgets?watch=true&resourceVersion={rv}");

        Assert.Equal(
            $$$"""{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: {{{rv}}} ({{{rv + 2}}})","reason":"Expired","code":410}}""",
            await watch.NextLineAsync());
    }

    [Fact]
    public async Task Watch_from_a_resourceVersion_not_yet_reached_skips_events_up_to_it()
    {
        await using var c = await TestCluster.StartAsync();
        await c.CreateWidgetCrdAsync();
        var rv = long.Parse(await ListRvAsync(c));
        await using var watch = Watch(c, Ct, resourceVersion: $"{rv + 2}");

        foreach (var name in new[] { "skipped", "also-skipped", "seen" })
        {
            await c.CreateWidgetAsync(name);
        }

        var (type, obj) = await NextAsync(watch);
        Assert.Equal((WatchEventType.Added, "seen"), (type, obj.Str("metadata", "name")));
    }

    [Fact]
    public async Task Watch_sends_no_bookmark_while_the_revision_has_not_passed_its_start()
    {
        await using var c = await TestCluster.StartAsync(new KubeApiServerOptions { BookmarkInterval = TimeSpan.FromMilliseconds(100) });
        await c.CreateWidgetCrdAsync();
        var rv = await ListRvAsync(c);
        await using var watch = await WatchStream.OpenAsync(c, $"/apis/example.com/v1/namespaces/default/widgets?watch=true&allowWatchBookmarks=true&resourceVersion={rv}");

        Assert.False(await watch.SendsWithinAsync(TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task Watch_timeoutSeconds_ends_the_stream_cleanly()
    {
        await using var c = await TestCluster.StartAsync();
        await c.CreateWidgetCrdAsync();
        await c.CreateWidgetAsync("w1");
        await using var watch = Watch(c, Ct, timeoutSeconds: 1);
        var started = DateTime.UtcNow;
        Assert.Equal(WatchEventType.Added, (await NextAsync(watch)).Type);
        var ended = watch.MoveNextAsync().AsTask();
        Assert.True(await Task.WhenAny(ended, Task.Delay(5000, Ct)) == ended, "stream still open after timeoutSeconds");
        Assert.False(await ended);
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(0.9));
    }

    [Fact]
    public async Task Watch_with_bookmarks_sends_bookmark_carrying_resourceVersion()
    {
        await using var c = await TestCluster.StartAsync(new KubeApiServerOptions { BookmarkInterval = TimeSpan.FromMilliseconds(200) });
        await c.CreateWidgetCrdAsync();
        var rv = await ListRvAsync(c);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        await using var watch = Watch(c, cts.Token, resourceVersion: rv, bookmarks: true);

        // cacheWatcher.process sends only bookmarks past the revision the watch started at: move the (cluster-wide)
        // revision with a write the widget watch does not see.
        await c.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "elsewhere" } }, "default", cancellationToken: Ct);
        var first = await NextAsync(watch);
        Assert.Equal(WatchEventType.Bookmark, first.Type);
        Assert.True(long.Parse(first.Object.Str("metadata", "resourceVersion")) > long.Parse(rv));

        await c.CreateWidgetAsync("w1");
        var added = await NextAsync(watch);
        while (added.Type == WatchEventType.Bookmark)
        {
            added = await NextAsync(watch);
        }

        Assert.Equal(WatchEventType.Added, added.Type);
        var next = await NextAsync(watch);
        Assert.Equal(WatchEventType.Bookmark, next.Type);
        Assert.Equal(added.Object.Str("metadata", "resourceVersion"), next.Object.Str("metadata", "resourceVersion"));
        await cts.CancelAsync();
    }

    [Fact]
    public async Task Watch_with_label_selector_sees_transitions_as_added_and_deleted()
    {
        await using var c = await TestCluster.StartAsync();
        await c.CreateWidgetCrdAsync();
        await c.CreateWidgetAsync("w1");
        var rv = await ListRvAsync(c);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        await using var watch = Watch(c, cts.Token, resourceVersion: rv, labelSelector: "team=a");
        async Task Label(string? value) => await c.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch(value is null ? "{\"metadata\":{\"labels\":{\"team\":null}}}" : $"{{\"metadata\":{{\"labels\":{{\"team\":\"{value}\"}}}}}}", V1Patch.PatchType.MergePatch),
            "example.com", "v1", "default", "widgets", "w1", cancellationToken: Ct);

        await Label("a");
        var entered = await NextAsync(watch);
        Assert.Equal(WatchEventType.Added, entered.Type);
        await Label("b");
        var left = await NextAsync(watch);
        Assert.Equal(WatchEventType.Deleted, left.Type);
        Assert.Equal("w1", left.Object.Str("metadata", "name"));
        await cts.CancelAsync();
    }

    [Fact]
    public async Task Many_watchers_each_see_every_event_in_order()
    {
        await using var c = await TestCluster.StartAsync();
        await c.CreateWidgetCrdAsync();
        var rv = await ListRvAsync(c);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var watchers = Enumerable.Range(0, 8).Select(_ => Watch(c, cts.Token, resourceVersion: rv)).ToList();
        var writes = Enumerable.Range(0, 20).Select(i => c.CreateWidgetAsync($"w{i}")).ToList();
        await Task.WhenAll(writes);
        foreach (var w in watchers)
        {
            var last = 0L;
            for (var i = 0; i < 20; i++)
            {
                var (type, obj) = await NextAsync(w);
                Assert.Equal(WatchEventType.Added, type);
                var eventRv = long.Parse(obj.Str("metadata", "resourceVersion"));
                Assert.True(eventRv > last);
                last = eventRv;
            }

            await w.DisposeAsync();
        }

        await cts.CancelAsync();
    }
}
