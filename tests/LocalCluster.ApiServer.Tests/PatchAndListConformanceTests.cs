using System.Net;
using System.Text.Json;
using k8s;
using k8s.Models;

namespace Vers.LocalCluster.ApiServer.Tests;

/// <summary>Patches, server-side apply, selectors, paging and refused requests, as kube-apiserver answers them.</summary>
public sealed class PatchAndListConformanceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Merge_patch_null_removes_and_json_patch_failed_test_is_422()
    {
        await using var c = await TestCluster.StartAsync();
        await c.CreateWidgetCrdAsync();
        await c.CreateWidgetAsync("w1", size: 4, labels: new() { ["a"] = "1", ["b"] = "2" });
        var merged = (JsonElement)await c.Client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("{\"metadata\":{\"labels\":{\"a\":null}}}", V1Patch.PatchType.MergePatch), "example.com", "v1", "default", "widgets", "w1", cancellationToken: Ct);
        Assert.False(merged.Has("metadata", "labels", "a"));
        Assert.Equal("2", merged.Str("metadata", "labels", "b"));

        var jsonPatched = (JsonElement)await c.Client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("[{\"op\":\"test\",\"path\":\"/spec/size\",\"value\":4},{\"op\":\"replace\",\"path\":\"/spec/size\",\"value\":5}]", V1Patch.PatchType.JsonPatch), "example.com", "v1", "default", "widgets", "w1", cancellationToken: Ct);
        Assert.Equal("5", jsonPatched.Str("spec", "size"));

        var e = await TestCluster.FailsAsync(() => c.Client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("[{\"op\":\"test\",\"path\":\"/spec/size\",\"value\":4},{\"op\":\"replace\",\"path\":\"/spec/size\",\"value\":6}]", V1Patch.PatchType.JsonPatch), "example.com", "v1", "default", "widgets", "w1", cancellationToken: Ct), (HttpStatusCode)422);
        Assert.StartsWith("the server rejected our request due to an error in our request", TestCluster.StatusOf(e).Message);
        Assert.Equal("5", (await c.GetWidgetAsync("w1")).Str("spec", "size"));
    }

    [Fact]
    public async Task Strategic_merge_patch_is_415_for_custom_resources()
    {
        await using var c = await TestCluster.StartAsync();
        await c.CreateWidgetCrdAsync();
        await c.CreateWidgetAsync("w1");
        var e = await TestCluster.FailsAsync(() => c.Client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("{\"spec\":{\"size\":2}}", V1Patch.PatchType.StrategicMergePatch), "example.com", "v1", "default", "widgets", "w1", cancellationToken: Ct), HttpStatusCode.UnsupportedMediaType);
        Assert.Equal("UnsupportedMediaType", TestCluster.StatusOf(e).Reason);
    }

    [Fact]
    public async Task Server_side_apply_creates_then_merges_and_requires_field_manager()
    {
        await using var c = await TestCluster.StartAsync();
        await c.CreateWidgetCrdAsync();
        // The C# client sends JSON; kubectl may send YAML, so the first apply goes over raw HTTP as YAML.
        using var http = new HttpClient { BaseAddress = c.Server.BaseAddress };
        var yaml = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w1\nspec:\n  size: 7\n  color: red\n";
        using var content = new StringContent(yaml);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/apply-patch+yaml");
        var response = await http.PatchAsync("/apis/example.com/v1/namespaces/default/widgets/w1?fieldManager=test&force=true", content, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.Equal("7", created.Str("spec", "size"));
        Assert.Equal("red", created.Str("spec", "color"));
        var updated = (JsonElement)await c.Client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"w1\"},\"spec\":{\"size\":8}}", V1Patch.PatchType.ApplyPatch), "example.com", "v1", "default", "widgets", "w1", fieldManager: "test", cancellationToken: Ct);
        Assert.Equal("8", updated.Str("spec", "size"));
        Assert.Equal("2", updated.Str("metadata", "generation"));
        await TestCluster.FailsAsync(() => c.Client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"w1\"}}", V1Patch.PatchType.ApplyPatch), "example.com", "v1", "default", "widgets", "w1", cancellationToken: Ct), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Label_and_field_selectors_filter_lists()
    {
        await using var c = await TestCluster.StartAsync();
        await c.CreateWidgetCrdAsync();
        await c.CreateWidgetAsync("a", labels: new() { ["tier"] = "web", ["env"] = "prod" });
        await c.CreateWidgetAsync("b", labels: new() { ["tier"] = "db" });
        await c.CreateWidgetAsync("c");
        async Task<string[]> Names(string? labels = null, string? fields = null)
        {
            var list = (JsonElement)await c.Client.CustomObjects.ListNamespacedCustomObjectAsync("example.com", "v1", "default", "widgets", labelSelector: labels, fieldSelector: fields, cancellationToken: Ct);
            return [.. list.GetProperty("items").EnumerateArray().Select(i => i.Str("metadata", "name"))];
        }

        Assert.Equal(["a"], await Names("tier=web"));
        Assert.Equal(["a"], await Names("tier==web,env"));
        Assert.Equal(["b", "c"], await Names("tier!=web"));
        Assert.Equal(["a", "b"], await Names("tier in (web, db)"));
        Assert.Equal(["c"], await Names("!tier"));
        Assert.Equal(["b", "c"], await Names("tier notin (web)"));
        Assert.Equal(["b"], await Names(fields: "metadata.name=b"));
        Assert.Equal(["a", "c"], await Names(fields: "metadata.name!=b"));
        var bad = await TestCluster.FailsAsync(() => Names(fields: "spec.size=1"), HttpStatusCode.BadRequest);
        Assert.Equal("field label not supported: spec.size", TestCluster.StatusOf(bad).Message);
        await TestCluster.FailsAsync(() => Names("tier in web"), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Core_event_field_selectors_match_involved_object()
    {
        await using var c = await TestCluster.StartAsync();
        foreach (var (name, target) in new[] { ("e1", "w1"), ("e2", "w2") })
        {
            await c.Client.CoreV1.CreateNamespacedEventAsync(new Corev1Event
            {
                Metadata = new V1ObjectMeta { Name = name },
                InvolvedObject = new V1ObjectReference { Kind = "Widget", Name = target, NamespaceProperty = "default" },
                Reason = "Created",
                Type = "Normal",
            }, "default", cancellationToken: Ct);
        }

        var events = await c.Client.CoreV1.ListNamespacedEventAsync("default", fieldSelector: "involvedObject.name=w2,involvedObject.kind=Widget,type=Normal", cancellationToken: Ct);
        Assert.Equal("e2", Assert.Single(events.Items).Name());
    }

    [Fact]
    public async Task List_pages_with_limit_and_continue_and_lists_across_namespaces()
    {
        await using var c = await TestCluster.StartAsync();
        await c.CreateWidgetCrdAsync();
        await c.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "other" } }, cancellationToken: Ct);
        foreach (var n in new[] { "a", "b", "c" })
        {
            await c.CreateWidgetAsync(n);
        }

        await c.CreateWidgetAsync("z", ns: "other");
        var names = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = (JsonElement)await c.Client.CustomObjects.ListCustomObjectForAllNamespacesAsync("example.com", "v1", "widgets", limit: 2, continueParameter: token, cancellationToken: Ct);
            Assert.Equal("WidgetList", page.Str("kind"));
            names.AddRange(page.GetProperty("items").EnumerateArray().Select(i => i.Str("metadata", "namespace") + "/" + i.Str("metadata", "name")));
            token = page.GetProperty("metadata").TryGetProperty("continue", out var t) ? t.GetString() : null;
            pages++;
        }
        while (!string.IsNullOrEmpty(token));

        Assert.Equal(["default/a", "default/b", "default/c", "other/z"], names);
        Assert.Equal(2, pages);
    }

    [Fact]
    public async Task Unknown_path_and_protobuf_bodies_get_status_errors()
    {
        await using var c = await TestCluster.StartAsync();
        using var http = new HttpClient { BaseAddress = c.Server.BaseAddress };
        var missing = await http.GetAsync("/apis/nothing.io/v1/things", Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var status = KubernetesJson.Deserialize<V1Status>(await missing.Content.ReadAsStringAsync(Ct));
        Assert.Equal("the server could not find the requested resource", status.Message);

        using var proto = new ByteArrayContent("k8s\0"u8.ToArray());
        proto.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/vnd.kubernetes.protobuf");
        var rejected = await http.PostAsync("/api/v1/namespaces/default/configmaps", proto, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, rejected.StatusCode);
        Assert.Contains("empty body", KubernetesJson.Deserialize<V1Status>(await rejected.Content.ReadAsStringAsync(Ct)).Message);
        Assert.Equal("ok", await http.GetStringAsync("/readyz", Ct));
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/openapi/v4", Ct)).StatusCode);
    }
}
