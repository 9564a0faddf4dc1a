using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;
using Vers.LocalCluster.ApiServer;

namespace Vers.LocalCluster.ApiServer.Tests;

/// <summary>
/// The watch-list protocol (KEP-3157, WatchList beta and on in 1.32): initial events then a bookmark annotated
/// <c>k8s.io/initial-events-end</c> (cacher.go Watch), and ValidateListOptions' answers to bad combinations.
/// </summary>
public sealed class WatchListTests
{
    private const string Path = "/api/v1/namespaces/default/configmaps";
    private const string WatchList = "watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<V1ConfigMap> CreateConfigMapAsync(TestCluster c, string name) =>
        await c.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name } }, "default", cancellationToken: Ct);

    [Fact]
    public async Task Watch_list_sends_initial_events_then_a_bookmark_marking_their_end()
    {
        await using var c = await TestCluster.StartAsync();
        await CreateConfigMapAsync(c, "a");
        var last = await CreateConfigMapAsync(c, "b");
        await using var watch = await WatchStream.OpenAsync(c, $"{Path}?{WatchList}");

        var events = new[] { await watch.NextAsync(), await watch.NextAsync(), await watch.NextAsync() };

        Assert.Equal(["ADDED a", "ADDED b", "BOOKMARK "], events.Select(e => $"{e.Type} {e.Object.At("metadata", "name")}"));
        Assert.Equal("true", events[2].Object.At("metadata", "annotations", "k8s.io/initial-events-end"));
        Assert.Equal(last.ResourceVersion(), events[2].Object.At("metadata", "resourceVersion"));
    }

    [Fact]
    public async Task Watch_list_end_bookmark_carries_the_empty_list_blueprint()
    {
        await using var c = await TestCluster.StartAsync();
        await using var watch = await WatchStream.OpenAsync(c, $"{Path}?{WatchList}");

        var (type, bookmark) = await watch.NextAsync();

        Assert.Equal("BOOKMARK", type);
        var blueprint = Encoding.UTF8.GetString(Convert.FromBase64String(bookmark.At("metadata", "annotations", "kubernetes.io/initial-events-list-blueprint")!));
        var list = JsonNode.Parse(blueprint)!;
        Assert.Equal(("ConfigMapList", "v1"), (list.At("kind"), list.At("apiVersion")));
    }

    [Fact]
    public async Task Watch_list_streams_changes_after_the_end_bookmark()
    {
        await using var c = await TestCluster.StartAsync();
        await using var watch = await WatchStream.OpenAsync(c, $"{Path}?{WatchList}");
        Assert.Equal("BOOKMARK", (await watch.NextAsync()).Type);

        await CreateConfigMapAsync(c, "later");

        var (type, obj) = await watch.NextAsync();
        Assert.Equal(("ADDED", "later"), (type, obj.At("metadata", "name")));
    }

    [Fact]
    public async Task Watch_from_resourceVersion_0_with_bookmarks_is_a_watch_list()
    {
        // SetListOptionsDefaults: with WatchList on, a watch from "" or "0" that chose nothing sends initial events.
        await using var c = await TestCluster.StartAsync();
        await CreateConfigMapAsync(c, "a");
        await using var watch = await WatchStream.OpenAsync(c, $"{Path}?watch=true&resourceVersion=0&allowWatchBookmarks=true");

        Assert.Equal("ADDED", (await watch.NextAsync()).Type);
        var (type, bookmark) = await watch.NextAsync();
        Assert.Equal(("BOOKMARK", "true"), (type, bookmark.At("metadata", "annotations", "k8s.io/initial-events-end")));
    }

    [Fact]
    public async Task Watch_with_initial_events_but_no_bookmarks_sends_no_end_bookmark()
    {
        await using var c = await TestCluster.StartAsync();
        await CreateConfigMapAsync(c, "a");
        await using var watch = await WatchStream.OpenAsync(c, $"{Path}?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan");

        var initial = await watch.NextAsync();
        Assert.Equal(("ADDED", "a"), (initial.Type, initial.Object.At("metadata", "name")));
        await CreateConfigMapAsync(c, "b");
        var (type, obj) = await watch.NextAsync();
        Assert.Equal(("ADDED", "b"), (type, obj.At("metadata", "name")));
    }

    [Fact]
    public async Task Watch_without_initial_events_and_without_resourceVersion_starts_now()
    {
        await using var c = await TestCluster.StartAsync();
        await CreateConfigMapAsync(c, "existing");
        await using var watch = await WatchStream.OpenAsync(c, $"{Path}?watch=true&sendInitialEvents=false&resourceVersionMatch=NotOlderThan");

        await CreateConfigMapAsync(c, "fresh");

        var (type, obj) = await watch.NextAsync();
        Assert.Equal(("ADDED", "fresh"), (type, obj.At("metadata", "name")));
    }

    [Fact]
    public async Task Watch_list_at_a_resourceVersion_not_yet_reached_waits_for_it()
    {
        await using var c = await TestCluster.StartAsync();
        var rv = long.Parse((await CreateConfigMapAsync(c, "a")).ResourceVersion());
        var opening = WatchStream.OpenAsync(c, $"{Path}?{WatchList}&resourceVersion={rv + 1}");
        await Task.Delay(200, Ct);

        await CreateConfigMapAsync(c, "b");

        await using var watch = await opening;
        var events = new[] { await watch.NextAsync(), await watch.NextAsync(), await watch.NextAsync() };
        Assert.Equal(["ADDED a", "ADDED b", "BOOKMARK "], events.Select(e => $"{e.Type} {e.Object.At("metadata", "name")}"));
        Assert.True(long.Parse(events[2].Object.At("metadata", "resourceVersion")!) >= rv + 1);
    }

    [Fact]
    public async Task Watch_list_at_a_resourceVersion_never_reached_ends_with_a_504_ERROR_event()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var c = await TestCluster.StartAsync(new KubeApiServerOptions { Time = time });
        var rv = long.Parse((await CreateConfigMapAsync(c, "a")).ResourceVersion());
        var opening = WatchStream.OpenAsync(c, $"{Path}?{WatchList}&resourceVersion={rv + 10}");
        while (!opening.IsCompleted)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(50, Ct);
        }

        await using var watch = await opening;
        Assert.Equal(HttpStatusCode.OK, watch.Code);
        var (type, status) = await watch.NextAsync();
        Assert.Equal(("ERROR", "504", "Timeout"), (type, status.At("code"), status.At("reason")));
        Assert.Equal($"Timeout: Too large resource version: {rv + 10}, current: {rv}", status.At("message"));
        Assert.Null(await watch.NextLineAsync());
    }

    [Theory]
    [InlineData("watch=true&sendInitialEvents=true",
        "resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan")]
    [InlineData("watch=true&resourceVersion=1&resourceVersionMatch=NotOlderThan",
        "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided")]
    [InlineData("watch=true&sendInitialEvents=true&resourceVersionMatch=Exact",
        "[resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan, resourceVersionMatch: Unsupported value: \"Exact\": supported values: \"NotOlderThan\"]")]
    [InlineData("sendInitialEvents=true",
        "sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list")]
    [InlineData("resourceVersionMatch=NotOlderThan",
        "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided")]
    [InlineData("resourceVersion=0&resourceVersionMatch=Exact",
        "resourceVersionMatch: Forbidden: resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"")]
    [InlineData("resourceVersion=1&resourceVersionMatch=Newest",
        "resourceVersionMatch: Unsupported value: \"Newest\": supported values: \"Exact\", \"NotOlderThan\", \"\"")]
    [InlineData("resourceVersion=1&resourceVersionMatch=Exact&continue=abc",
        "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is provided")]
    public async Task Invalid_list_options_are_422_Invalid_ListOptions(string query, string errors)
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);

        var r = await api.GetAsync($"{Path}?{query}");

        Assert.Equal((HttpStatusCode.UnprocessableEntity, "Invalid"), (r.Code, r.Str("reason")));
        Assert.Equal($"ListOptions.meta.k8s.io \"\" is invalid: {errors}", r.Str("message"));
        Assert.Equal(("meta.k8s.io", "ListOptions", null), (r.Str("details", "group"), r.Str("details", "kind"), r.Str("details", "name")));
    }
}
