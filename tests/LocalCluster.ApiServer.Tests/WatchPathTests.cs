using System.Net;
using k8s;
using k8s.Models;

namespace Vers.LocalCluster.ApiServer.Tests;

/// <summary>
/// Watches of one object and the legacy <c>/watch/</c> path form (requestinfo.go: the prefix makes the verb watch,
/// a name after the resource becomes a metadata.name field selector; get.go ListResource).
/// </summary>
public sealed class WatchPathTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<V1ConfigMap> CreateConfigMapAsync(TestCluster c, string name, string ns = "default", string value = "1") =>
        await c.Client.CoreV1.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name }, Data = new Dictionary<string, string> { ["v"] = value } }, ns, cancellationToken: Ct);

    private static async Task PatchConfigMapAsync(TestCluster c, string name, string value) =>
        await c.Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch($"{{\"data\":{{\"v\":\"{value}\"}}}}", V1Patch.PatchType.MergePatch), name, "default", cancellationToken: Ct);

    [Fact]
    public async Task Watch_with_a_name_field_selector_streams_only_that_object()
    {
        await using var c = await TestCluster.StartAsync();
        await CreateConfigMapAsync(c, "x");
        var other = await CreateConfigMapAsync(c, "y");
        await using var watch = await WatchStream.OpenAsync(c, $"/api/v1/namespaces/default/configmaps?watch=true&fieldSelector=metadata.name%3Dx&resourceVersion={other.ResourceVersion()}");

        await PatchConfigMapAsync(c, "y", "2");
        await PatchConfigMapAsync(c, "x", "2");

        var (type, obj) = await watch.NextAsync();
        Assert.Equal(("MODIFIED", "x", "2"), (type, obj.At("metadata", "name"), obj.At("data", "v")));
    }

    [Fact]
    public async Task Watch_path_with_a_name_sends_that_object_then_its_changes()
    {
        await using var c = await TestCluster.StartAsync();
        await CreateConfigMapAsync(c, "x");
        await CreateConfigMapAsync(c, "y");
        await using var watch = await WatchStream.OpenAsync(c, "/api/v1/watch/namespaces/default/configmaps/x");
        Assert.Equal(HttpStatusCode.OK, watch.Code);

        var initial = await watch.NextAsync();
        Assert.Equal(("ADDED", "x"), (initial.Type, initial.Object.At("metadata", "name")));
        await PatchConfigMapAsync(c, "y", "2");
        await PatchConfigMapAsync(c, "x", "2");
        var change = await watch.NextAsync();
        Assert.Equal(("MODIFIED", "x", "2"), (change.Type, change.Object.At("metadata", "name"), change.Object.At("data", "v")));
    }

    [Fact]
    public async Task Watch_path_of_a_namespace_collection_streams_only_that_namespace()
    {
        await using var c = await TestCluster.StartAsync();
        await c.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "other" } }, cancellationToken: Ct);
        await CreateConfigMapAsync(c, "elsewhere", ns: "other");
        await CreateConfigMapAsync(c, "here");
        await using var watch = await WatchStream.OpenAsync(c, "/api/v1/watch/namespaces/default/configmaps");

        var (type, obj) = await watch.NextAsync();
        Assert.Equal(("ADDED", "default/here"), (type, $"{obj.At("metadata", "namespace")}/{obj.At("metadata", "name")}"));
        await CreateConfigMapAsync(c, "later", ns: "other");
        await CreateConfigMapAsync(c, "next");
        var next = await watch.NextAsync();
        Assert.Equal(("ADDED", "default/next"), (next.Type, $"{next.Object.At("metadata", "namespace")}/{next.Object.At("metadata", "name")}"));
    }

    [Fact]
    public async Task Watch_path_across_namespaces_streams_every_namespace()
    {
        await using var c = await TestCluster.StartAsync();
        await c.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "other" } }, cancellationToken: Ct);
        var rv = (await CreateConfigMapAsync(c, "before")).ResourceVersion();
        await using var watch = await WatchStream.OpenAsync(c, $"/api/v1/watch/configmaps?resourceVersion={rv}");

        await CreateConfigMapAsync(c, "there", ns: "other");
        var (type, obj) = await watch.NextAsync();
        Assert.Equal(("ADDED", "other/there"), (type, $"{obj.At("metadata", "namespace")}/{obj.At("metadata", "name")}"));
    }

    [Fact]
    public async Task Watch_path_of_a_group_resource_by_name_streams_that_object()
    {
        await using var c = await TestCluster.StartAsync();
        await c.CreateWidgetCrdAsync();
        await c.CreateWidgetAsync("w1");
        var rv = (await c.CreateWidgetAsync("w2")).Str("metadata", "resourceVersion");
        await using var watch = await WatchStream.OpenAsync(c, $"/apis/example.com/v1/watch/namespaces/default/widgets/w1?resourceVersion={rv}");

        await c.Client.CustomObjects.DeleteNamespacedCustomObjectAsync("example.com", "v1", "default", "widgets", "w2", cancellationToken: Ct);
        await c.Client.CustomObjects.DeleteNamespacedCustomObjectAsync("example.com", "v1", "default", "widgets", "w1", cancellationToken: Ct);
        var (type, obj) = await watch.NextAsync();
        Assert.Equal(("DELETED", "w1"), (type, obj.At("metadata", "name")));
    }

    [Fact]
    public async Task Watch_path_of_a_cluster_scoped_object_by_name_streams_that_object()
    {
        await using var c = await TestCluster.StartAsync();
        await c.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "watched" } }, cancellationToken: Ct);
        await using var watch = await WatchStream.OpenAsync(c, "/api/v1/watch/namespaces/watched");

        var (type, obj) = await watch.NextAsync();
        Assert.Equal(("ADDED", "Namespace", "watched"), (type, obj.At("kind"), obj.At("metadata", "name")));
    }

    [Fact]
    public async Task Watch_path_name_contradicted_by_the_field_selector_is_400()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);

        var r = await api.GetAsync("/api/v1/watch/namespaces/default/configmaps/x?fieldSelector=metadata.name%3Dy");

        Assert.Equal((HttpStatusCode.BadRequest, "BadRequest", "fieldSelector metadata.name doesn't match requested name"), (r.Code, r.Str("reason"), r.Str("message")));
    }

    [Fact]
    public async Task Watch_path_serves_only_GET()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);

        var r = await api.DeleteAsync("/api/v1/watch/namespaces/default/configmaps/x");

        Assert.Equal((HttpStatusCode.MethodNotAllowed, "MethodNotAllowed"), (r.Code, r.Str("reason")));
    }

    [Fact]
    public async Task Watch_path_counts_as_a_watch_request()
    {
        await using var c = await TestCluster.StartAsync();
        await using (var watch = await WatchStream.OpenAsync(c, "/api/v1/watch/namespaces/default/configmaps/x?timeoutSeconds=1"))
        {
            Assert.Equal(HttpStatusCode.OK, watch.Code);
        }

        Assert.Equal(1, c.Server.Requests.Count(verb: "watch", resource: "configmaps"));
    }
}
