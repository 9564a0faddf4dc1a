using System.Buffers.Text;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Vers.LocalCluster.ApiServer;

namespace Vers.LocalCluster.ApiServer.Tests;

/// <summary>
/// limit and continue as etcd serves them (etcd3/store.go GetList, storage/continue.go): upstream continue tokens,
/// remainingItemCount only without selectors, pages at the first page's revision, 410 once it is compacted.
/// </summary>
public sealed class ListPagingTests
{
    private const string Path = "/api/v1/namespaces/default/configmaps";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task CreateAsync(TestCluster c, params string[] names)
    {
        foreach (var name in names)
        {
            await c.Client.CoreV1.CreateNamespacedConfigMapAsync(
                new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["first"] = name[..1] } } },
                "default", cancellationToken: Ct);
        }
    }

    private static List<string> Names(RawResponse r) => [.. (r.Body!["items"] as JsonArray ?? []).Select(i => i.At("metadata", "name")!)];

    private static JsonNode Decode(string token) => JsonNode.Parse(Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token)))!;

    [Fact]
    public async Task Continue_token_is_the_upstream_encoding_of_version_revision_and_start_key()
    {
        await using var c = await TestCluster.StartAsync();
        await CreateAsync(c, "a", "b", "c");
        using var api = new RawApi(c.Server.BaseAddress);

        var page = await api.GetAsync($"{Path}?limit=2");

        var token = page.Str("metadata", "continue")!;
        Assert.DoesNotContain('=', token);
        Assert.Equal($$"""{"v":"meta.k8s.io/v1","rv":{{page.Str("metadata", "resourceVersion")}},"start":"b\u0000"}""", Decode(token).ToJsonString());
    }

    [Fact]
    public async Task Continue_token_across_namespaces_starts_after_namespace_and_name()
    {
        await using var c = await TestCluster.StartAsync();
        await CreateAsync(c, "a", "b");
        using var api = new RawApi(c.Server.BaseAddress);

        var page = await api.GetAsync("/api/v1/configmaps?limit=1");

        Assert.Equal("default/a\u0000", Decode(page.Str("metadata", "continue")!).At("start"));
    }

    [Fact]
    public async Task Paged_list_counts_the_remaining_items_when_nothing_is_filtered()
    {
        await using var c = await TestCluster.StartAsync();
        await CreateAsync(c, "a", "b", "c", "d", "e");
        using var api = new RawApi(c.Server.BaseAddress);

        var page = await api.GetAsync($"{Path}?limit=2");

        Assert.Equal("3", page.Str("metadata", "remainingItemCount"));
    }

    [Fact]
    public async Task Paged_list_with_a_selector_has_no_remainingItemCount()
    {
        await using var c = await TestCluster.StartAsync();
        await CreateAsync(c, "a1", "a2", "a3", "b1");
        using var api = new RawApi(c.Server.BaseAddress);

        var page = await api.GetAsync($"{Path}?limit=2&labelSelector=first%3Da");

        Assert.NotNull(page.Str("metadata", "continue"));
        Assert.Null(page.Str("metadata", "remainingItemCount"));
    }

    [Fact]
    public async Task Page_filled_by_a_selector_continues_while_any_object_follows()
    {
        // Like etcd, the server does not look ahead for a match: the next page may be empty.
        await using var c = await TestCluster.StartAsync();
        await CreateAsync(c, "a1", "b1");
        using var api = new RawApi(c.Server.BaseAddress);

        var first = await api.GetAsync($"{Path}?limit=1&labelSelector=first%3Da");
        var second = await api.GetAsync($"{Path}?limit=1&labelSelector=first%3Da&continue={first.Str("metadata", "continue")}");

        Assert.Equal(["a1"], Names(first));
        Assert.Empty(Names(second));
        Assert.Null(second.Str("metadata", "continue"));
    }

    [Fact]
    public async Task Continued_pages_list_at_the_first_page_revision()
    {
        await using var c = await TestCluster.StartAsync();
        await CreateAsync(c, "a", "b", "c");
        using var api = new RawApi(c.Server.BaseAddress);
        var first = await api.GetAsync($"{Path}?limit=2");

        await CreateAsync(c, "d");
        await c.Client.CoreV1.DeleteNamespacedConfigMapAsync("c", "default", cancellationToken: Ct);
        var second = await api.GetAsync($"{Path}?limit=2&continue={first.Str("metadata", "continue")}");

        Assert.Equal(["c"], Names(second));
        Assert.Equal(first.Str("metadata", "resourceVersion"), second.Str("metadata", "resourceVersion"));
    }

    [Fact]
    public async Task Continue_past_compaction_is_410_with_a_token_for_the_latest_revision()
    {
        await using var c = await TestCluster.StartAsync(new KubeApiServerOptions { WatchHistoryLimit = 2 });
        await CreateAsync(c, "a", "b", "c");
        using var api = new RawApi(c.Server.BaseAddress);
        var first = await api.GetAsync($"{Path}?limit=2");
        await CreateAsync(c, "d", "e", "f");

        var expired = await api.GetAsync($"{Path}?limit=2&continue={first.Str("metadata", "continue")}");

        Assert.Equal((HttpStatusCode.Gone, "Expired"), (expired.Code, expired.Str("reason")));
        Assert.StartsWith("The provided continue parameter is too old to display a consistent list result.", expired.Str("message"));
        var fresh = expired.Str("metadata", "continue")!;
        Assert.Equal(("-1", "b\u0000"), (Decode(fresh).At("rv"), Decode(fresh).At("start")));
        Assert.Equal(["c", "d"], Names(await api.GetAsync($"{Path}?limit=2&continue={fresh}")));
    }

    [Fact]
    public async Task Continue_with_a_resourceVersion_is_400()
    {
        await using var c = await TestCluster.StartAsync();
        await CreateAsync(c, "a", "b");
        using var api = new RawApi(c.Server.BaseAddress);
        var first = await api.GetAsync($"{Path}?limit=1");

        var r = await api.GetAsync($"{Path}?limit=1&resourceVersion=1&continue={first.Str("metadata", "continue")}");

        Assert.Equal((HttpStatusCode.BadRequest, "specifying resource version is not allowed when using continue"), (r.Code, r.Str("message")));
    }

    [Theory]
    [InlineData("not*base64", "invalid continue token: continue key is not valid: illegal base64 data at input byte 3")]
    [InlineData("eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MCwic3RhcnQiOiJhIn0", "invalid continue token: continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)")]
    [InlineData("eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NSwic3RhcnQiOiIuLi9hIn0", "invalid continue token: continue key is not valid: ../a")]
    public async Task Malformed_continue_token_is_400(string token, string message)
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);

        var r = await api.GetAsync($"{Path}?limit=1&continue={token}");

        Assert.Equal((HttpStatusCode.BadRequest, "BadRequest", message), (r.Code, r.Str("reason"), r.Str("message")));
    }

    [Fact]
    public async Task Lists_across_namespaces_follow_etcd_key_order()
    {
        // Keys are "{namespace}/{name}": namespace "a-b" sorts before "a" because '-' is below '/'.
        await using var c = await TestCluster.StartAsync();
        foreach (var ns in new[] { "a", "a-b" })
        {
            await c.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } }, cancellationToken: Ct);
            await c.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "x" } }, ns, cancellationToken: Ct);
        }

        using var api = new RawApi(c.Server.BaseAddress);
        var first = await api.GetAsync("/api/v1/configmaps?limit=1");
        var second = await api.GetAsync($"/api/v1/configmaps?limit=1&continue={first.Str("metadata", "continue")}");

        Assert.Equal(["a-b/x", "a/x"], (first.Body!["items"] as JsonArray)!.Concat(second.Body!["items"] as JsonArray ?? [])
            .Select(i => $"{i.At("metadata", "namespace")}/{i.At("metadata", "name")}"));
    }
}
