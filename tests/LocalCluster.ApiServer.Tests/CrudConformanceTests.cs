using System.Net;
using System.Text.Json;
using k8s;
using k8s.Models;

namespace Vers.LocalCluster.ApiServer.Tests;

/// <summary>Create, read, update and delete (with finalizers, garbage collection and namespace deletion), as kube-apiserver answers them.</summary>
public sealed class CrudConformanceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Server_starts_with_seeded_active_namespaces()
    {
        await using var c = await TestCluster.StartAsync();
        var list = await c.Client.CoreV1.ListNamespaceAsync(cancellationToken: Ct);
        Assert.Equal(["default", "kube-node-lease", "kube-public", "kube-system"], list.Items.Select(n => n.Name()).Order());
        Assert.All(list.Items, n => Assert.Equal("Active", n.Status.Phase));
        var version = await c.Client.Version.GetCodeAsync(Ct);
        Assert.Equal("1", version.Major);
        Assert.Equal("32", version.Minor);
        Assert.StartsWith("v1.32.", version.GitVersion);
    }

    [Fact]
    public async Task Crd_becomes_established_and_appears_in_discovery()
    {
        await using var c = await TestCluster.StartAsync();
        var crd = await c.CreateWidgetCrdAsync();
        Assert.Contains(crd.Status.Conditions, x => x.Type == "Established" && x.Status == "True");
        Assert.Contains(crd.Status.Conditions, x => x.Type == "NamesAccepted" && x.Status == "True");
        Assert.Equal(["v1"], crd.Status.StoredVersions);
        Assert.Equal("widget", crd.Status.AcceptedNames.Singular);
        Assert.Equal(1, crd.Metadata.Generation);

        using var http = new HttpClient { BaseAddress = c.Server.BaseAddress };
        var resources = KubernetesJson.Deserialize<V1APIResourceList>(await http.GetStringAsync("/apis/example.com/v1", Ct));
        var widgets = Assert.Single(resources.Resources, r => r.Name == "widgets");
        Assert.Equal(["wd"], widgets.ShortNames);
        Assert.True(widgets.Namespaced);
        Assert.Contains(resources.Resources, r => r.Name == "widgets/status");

        await c.Client.ApiextensionsV1.DeleteCustomResourceDefinitionAsync("widgets.example.com", cancellationToken: Ct);
        var groups = await WaitForAsync(async () =>
        {
            var g = await c.Client.Apis.GetAPIVersionsAsync(Ct);
            return g.Groups.Any(x => x.Name == "example.com") ? null : g;
        });
        Assert.DoesNotContain(groups.Groups, x => x.Name == "example.com");
    }

    [Fact]
    public async Task Create_of_existing_name_is_409_AlreadyExists()
    {
        await using var c = await TestCluster.StartAsync();
        await c.CreateWidgetCrdAsync();
        await c.CreateWidgetAsync("w1");
        var e = await TestCluster.FailsAsync(() => c.CreateWidgetAsync("w1"), HttpStatusCode.Conflict);
        var status = TestCluster.StatusOf(e);
        Assert.Equal("AlreadyExists", status.Reason);
        Assert.Equal("widgets.example.com \"w1\" already exists", status.Message);
        Assert.Equal("widgets", status.Details.Kind);
    }

    [Fact]
    public async Task Get_of_missing_object_is_404_with_apiserver_message()
    {
        await using var c = await TestCluster.StartAsync();
        await c.CreateWidgetCrdAsync();
        var e = await TestCluster.FailsAsync(() => c.GetWidgetAsync("nope"), HttpStatusCode.NotFound);
        Assert.Equal("widgets.example.com \"nope\" not found", TestCluster.StatusOf(e).Message);

        var core = await TestCluster.FailsAsync(() => c.Client.CoreV1.ReadNamespacedConfigMapAsync("nope", "default", cancellationToken: Ct), HttpStatusCode.NotFound);
        Assert.Equal("configmaps \"nope\" not found", TestCluster.StatusOf(core).Message);
        Assert.Equal("NotFound", TestCluster.StatusOf(core).Reason);
    }

    [Fact]
    public async Task Create_in_missing_namespace_is_404_namespace_not_found()
    {
        await using var c = await TestCluster.StartAsync();
        var cm = new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "x" } };
        var e = await TestCluster.FailsAsync(() => c.Client.CoreV1.CreateNamespacedConfigMapAsync(cm, "ghost", cancellationToken: Ct), HttpStatusCode.NotFound);
        Assert.Equal("namespaces \"ghost\" not found", TestCluster.StatusOf(e).Message);
    }

    [Fact]
    public async Task Create_sets_uid_timestamp_generation_and_generateName()
    {
        await using var c = await TestCluster.StartAsync();
        await c.CreateWidgetCrdAsync();
        var body = TestCluster.Widget("");
        ((Dictionary<string, object?>)body["metadata"]!).Remove("name");
        ((Dictionary<string, object?>)body["metadata"]!)["generateName"] = "gen-";
        var created = (JsonElement)await c.Client.CustomObjects.CreateNamespacedCustomObjectAsync(body, "example.com", "v1", "default", "widgets", cancellationToken: Ct);
        var name = created.Str("metadata", "name");
        Assert.Matches("^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$", name);
        Assert.Matches("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$", created.Str("metadata", "creationTimestamp"));
        Assert.True(Guid.TryParse(created.Str("metadata", "uid"), out _));
        Assert.Equal("1", created.Str("metadata", "generation"));

        var cm = await c.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" } }, "default", cancellationToken: Ct);
        Assert.Null(cm.Metadata.Generation);
    }

    [Fact]
    public async Task Update_with_stale_resourceVersion_is_409_Conflict()
    {
        await using var c = await TestCluster.StartAsync();
        await c.CreateWidgetCrdAsync();
        var w = await c.CreateWidgetAsync("w1");
        var stale = JsonSerializer.Deserialize<Dictionary<string, object?>>(w.GetRawText())!;
        await c.Client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("{\"spec\":{\"size\":2}}", V1Patch.PatchType.MergePatch), "example.com", "v1", "default", "widgets", "w1", cancellationToken: Ct);
        var e = await TestCluster.FailsAsync(() => c.Client.CustomObjects.ReplaceNamespacedCustomObjectAsync(stale, "example.com", "v1", "default", "widgets", "w1", cancellationToken: Ct), HttpStatusCode.Conflict);
        var status = TestCluster.StatusOf(e);
        Assert.Equal("Conflict", status.Reason);
        Assert.Equal("Operation cannot be fulfilled on widgets.example.com \"w1\": the object has been modified; please apply your changes to the latest version and try again", status.Message);
    }

    [Fact]
    public async Task Custom_resource_put_without_resourceVersion_is_422()
    {
        await using var c = await TestCluster.StartAsync();
        await c.CreateWidgetCrdAsync();
        await c.CreateWidgetAsync("w1");
        var e = await TestCluster.FailsAsync(() => c.Client.CustomObjects.ReplaceNamespacedCustomObjectAsync(TestCluster.Widget("w1", 5), "example.com", "v1", "default", "widgets", "w1", cancellationToken: Ct), (HttpStatusCode)422);
        var status = TestCluster.StatusOf(e);
        Assert.Equal("Invalid", status.Reason);
        Assert.Contains("metadata.resourceVersion: Invalid value: 0x0: must be specified for an update", status.Message);

        // Built-ins allow an unconditional update.
        await c.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "cm" } }, "default", cancellationToken: Ct);
        var replaced = await c.Client.CoreV1.ReplaceNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "cm" }, Data = new Dictionary<string, string> { ["a"] = "b" } }, "cm", "default", cancellationToken: Ct);
        Assert.Equal("b", replaced.Data["a"]);
    }

    [Fact]
    public async Task Main_resource_writes_ignore_status()
    {
        await using var c = await TestCluster.StartAsync();
        await c.CreateWidgetCrdAsync();
        var body = TestCluster.Widget("w1");
        body["status"] = new Dictionary<string, object?> { ["phase"] = "Sneaky" };
        var created = (JsonElement)await c.Client.CustomObjects.CreateNamespacedCustomObjectAsync(body, "example.com", "v1", "default", "widgets", cancellationToken: Ct);
        Assert.False(created.Has("status"));

        var patched = (JsonElement)await c.Client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("{\"status\":{\"phase\":\"X\"},\"spec\":{\"size\":3}}", V1Patch.PatchType.MergePatch), "example.com", "v1", "default", "widgets", "w1", cancellationToken: Ct);
        Assert.False(patched.Has("status"));
        Assert.Equal("3", patched.Str("spec", "size"));
    }

    [Fact]
    public async Task Status_writes_change_only_status_and_not_generation()
    {
        await using var c = await TestCluster.StartAsync();
        await c.CreateWidgetCrdAsync();
        await c.CreateWidgetAsync("w1", size: 1);
        var patched = (JsonElement)await c.Client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new V1Patch("{\"spec\":{\"size\":9},\"metadata\":{\"labels\":{\"a\":\"b\"}},\"status\":{\"phase\":\"Ready\"}}", V1Patch.PatchType.MergePatch),
            "example.com", "v1", "default", "widgets", "w1", cancellationToken: Ct);
        Assert.Equal("Ready", patched.Str("status", "phase"));
        Assert.Equal("1", patched.Str("spec", "size"));
        Assert.False(patched.Has("metadata", "labels"));
        Assert.Equal("1", patched.Str("metadata", "generation"));

        var viaStatusGet = (JsonElement)await c.Client.CustomObjects.GetNamespacedCustomObjectStatusAsync("example.com", "v1", "default", "widgets", "w1", Ct);
        Assert.Equal("Ready", viaStatusGet.Str("status", "phase"));
        Assert.Equal("1", viaStatusGet.Str("spec", "size"));
    }

    [Fact]
    public async Task Generation_bumps_on_spec_change_only()
    {
        await using var c = await TestCluster.StartAsync();
        await c.CreateWidgetCrdAsync();
        await c.CreateWidgetAsync("w1", size: 1);
        async Task<JsonElement> Patch(string json) => (JsonElement)await c.Client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch(json, V1Patch.PatchType.MergePatch), "example.com", "v1", "default", "widgets", "w1", cancellationToken: Ct);

        var labelled = await Patch("{\"metadata\":{\"labels\":{\"x\":\"y\"}}}");
        Assert.Equal("1", labelled.Str("metadata", "generation"));
        var resized = await Patch("{\"spec\":{\"size\":2}}");
        Assert.Equal("2", resized.Str("metadata", "generation"));

        // No-op write: same RV, no new generation.
        var noop = await Patch("{\"spec\":{\"size\":2}}");
        Assert.Equal(resized.Str("metadata", "resourceVersion"), noop.Str("metadata", "resourceVersion"));

        await Patch("{\"metadata\":{\"finalizers\":[\"example.com/hold\"]}}");
        var deleting = (JsonElement)await c.Client.CustomObjects.DeleteNamespacedCustomObjectAsync("example.com", "v1", "default", "widgets", "w1", cancellationToken: Ct);
        Assert.Equal("3", deleting.Str("metadata", "generation"));
    }

    [Fact]
    public async Task Finalizers_hold_deletion_until_removed()
    {
        await using var c = await TestCluster.StartAsync();
        await c.CreateWidgetCrdAsync();
        var body = TestCluster.Widget("w1");
        ((Dictionary<string, object?>)body["metadata"]!)["finalizers"] = new[] { "example.com/hold" };
        await c.Client.CustomObjects.CreateNamespacedCustomObjectAsync(body, "example.com", "v1", "default", "widgets", cancellationToken: Ct);

        var deleting = (JsonElement)await c.Client.CustomObjects.DeleteNamespacedCustomObjectAsync("example.com", "v1", "default", "widgets", "w1", cancellationToken: Ct);
        Assert.True(deleting.Has("metadata", "deletionTimestamp"));
        Assert.Equal("0", deleting.Str("metadata", "deletionGracePeriodSeconds"));

        var add = await TestCluster.FailsAsync(() => c.Client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("{\"metadata\":{\"finalizers\":[\"example.com/hold\",\"new\"]}}", V1Patch.PatchType.MergePatch), "example.com", "v1", "default", "widgets", "w1", cancellationToken: Ct), (HttpStatusCode)422);
        Assert.Contains("no new finalizers can be added if the object is being deleted", TestCluster.StatusOf(add).Message);

        await c.Client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("{\"metadata\":{\"finalizers\":null}}", V1Patch.PatchType.MergePatch), "example.com", "v1", "default", "widgets", "w1", cancellationToken: Ct);
        await TestCluster.FailsAsync(() => c.GetWidgetAsync("w1"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Delete_without_finalizers_returns_Success_status()
    {
        await using var c = await TestCluster.StartAsync();
        await c.CreateWidgetCrdAsync();
        var w = await c.CreateWidgetAsync("w1");
        var result = (JsonElement)await c.Client.CustomObjects.DeleteNamespacedCustomObjectAsync("example.com", "v1", "default", "widgets", "w1", cancellationToken: Ct);
        Assert.Equal("Status", result.Str("kind"));
        Assert.Equal("Success", result.Str("status"));
        Assert.Equal(w.Str("metadata", "uid"), result.Str("details", "uid"));
    }

    [Fact]
    public async Task Delete_with_wrong_uid_precondition_is_409()
    {
        await using var c = await TestCluster.StartAsync();
        await c.CreateWidgetCrdAsync();
        await c.CreateWidgetAsync("w1");
        var options = new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = Guid.NewGuid().ToString() } };
        var e = await TestCluster.FailsAsync(() => c.Client.CustomObjects.DeleteNamespacedCustomObjectAsync("example.com", "v1", "default", "widgets", "w1", body: options, cancellationToken: Ct), HttpStatusCode.Conflict);
        Assert.Contains("Precondition failed: UID in precondition", TestCluster.StatusOf(e).Message);
    }

    [Fact]
    public async Task Owner_deletion_garbage_collects_dependents()
    {
        await using var c = await TestCluster.StartAsync();
        await c.CreateWidgetCrdAsync();
        var owner = await c.CreateWidgetAsync("owner");
        var cm = new V1ConfigMap
        {
            Metadata = new V1ObjectMeta
            {
                Name = "dependent",
                OwnerReferences = [new V1OwnerReference { ApiVersion = "example.com/v1", Kind = "Widget", Name = "owner", Uid = owner.Str("metadata", "uid"), BlockOwnerDeletion = true, Controller = true }],
            },
        };
        await c.Client.CoreV1.CreateNamespacedConfigMapAsync(cm, "default", cancellationToken: Ct);
        await c.Client.CustomObjects.DeleteNamespacedCustomObjectAsync("example.com", "v1", "default", "widgets", "owner", cancellationToken: Ct);
        await WaitForAsync(async () => (await c.Client.CoreV1.ListNamespacedConfigMapAsync("default", cancellationToken: Ct)).Items.Count == 0 ? "gone" : null);
    }

    [Fact]
    public async Task Namespace_deletion_terminates_then_removes_contents()
    {
        await using var c = await TestCluster.StartAsync();
        await c.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "team" } }, cancellationToken: Ct);
        await c.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "cm", Finalizers = ["x/hold"] } }, "team", cancellationToken: Ct);
        var ns = await c.Client.CoreV1.DeleteNamespaceAsync("team", cancellationToken: Ct);
        var terminating = await c.Client.CoreV1.ReadNamespaceAsync("team", cancellationToken: Ct);
        Assert.Equal("Terminating", terminating.Status.Phase);
        var forbidden = await TestCluster.FailsAsync(() => c.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "late" } }, "team", cancellationToken: Ct), HttpStatusCode.Forbidden);
        Assert.Contains("because it is being terminated", TestCluster.StatusOf(forbidden).Message);

        await WaitForAsync(async () => (await c.Client.CoreV1.ReadNamespacedConfigMapAsync("cm", "team", cancellationToken: Ct)).Metadata.DeletionTimestamp);
        await c.Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("{\"metadata\":{\"finalizers\":null}}", V1Patch.PatchType.MergePatch), "cm", "team", cancellationToken: Ct);
        await WaitForAsync(async () => (await c.Client.CoreV1.ListNamespaceAsync(cancellationToken: Ct)).Items.Any(n => n.Name() == "team") ? null : "gone");
    }

    internal static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe, int timeoutMs = 5000)
        where T : class
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("condition not reached");
            }

            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    internal static async Task WaitForAsync(Func<Task<DateTime?>> probe, int timeoutMs = 5000) =>
        await WaitForAsync<object>(async () => await probe() is { } v ? v : null, timeoutMs);
}
