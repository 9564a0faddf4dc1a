using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Vers.LocalCluster.ApiServer;
using Vers.LocalCluster.ApiServer.Admission;

namespace Vers.LocalCluster.ApiServer.Tests.Admission;

/// <summary>
/// In-process admission plugins called as kube-apiserver calls admission webhooks: mutating ones in order, the
/// store's validation, then validating ones; denials and failures reported as the webhook dispatchers report them.
/// </summary>
public sealed class AdmissionChainTests
{
    private const string ConfigMaps = "/api/v1/namespaces/default/configmaps";
    private const string Widgets = "/apis/example.com/v1/namespaces/default/widgets";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string ConfigMap(string name, string value = "1") =>
        new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = new JsonObject { ["name"] = name }, ["data"] = new JsonObject { ["v"] = value } }.ToJsonString();

    [Fact]
    public async Task A_denial_fails_the_create_with_the_webhook_status_and_stores_nothing()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        c.Server.Admission.Register(RecordingPlugin.Validator("configmap-policy.example.com", _ => AdmissionResponse.Deny(403, "configmaps need an owner"), RecordingPlugin.On("configmaps")));

        var denied = await api.PostAsync(ConfigMaps, ConfigMap("cm"));

        Assert.Equal(HttpStatusCode.Forbidden, denied.Code);
        var expected = """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"admission webhook \"configmap-policy.example.com\" denied the request: configmaps need an owner","code":403}""";
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), denied.Body), denied.Text);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync(ConfigMaps + "/cm")).Code);
    }

    [Theory]
    [InlineData(0, "no", null, 400, "admission webhook \"p.example.com\" denied the request: no", null)]
    [InlineData(200, "no", null, 400, "admission webhook \"p.example.com\" denied the request: no", null)]
    [InlineData(422, "bad spec", "Invalid", 422, "admission webhook \"p.example.com\" denied the request: bad spec", "Invalid")]
    [InlineData(409, "", "AlreadyExists", 409, "admission webhook \"p.example.com\" denied the request: AlreadyExists", "AlreadyExists")]
    [InlineData(403, "", null, 403, "admission webhook \"p.example.com\" denied the request without explanation", null)]
    public async Task A_denial_is_reported_as_ToStatusErr_reports_a_webhooks(int code, string message, string? reason, int expectedCode, string expectedMessage, string? expectedReason)
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        c.Server.Admission.Register(RecordingPlugin.Validator("p.example.com", _ => AdmissionResponse.Deny(code, message, reason)));

        var denied = await api.PostAsync(ConfigMaps, ConfigMap("cm"));

        Assert.Equal((HttpStatusCode)expectedCode, denied.Code);
        Assert.Equal(expectedMessage, denied.Str("message"));
        Assert.Equal(expectedReason, denied.Str("reason"));
        Assert.Equal(expectedCode.ToString(System.Globalization.CultureInfo.InvariantCulture), denied.Str("code"));
    }

    [Fact]
    public async Task A_denied_write_sends_no_watch_event()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        c.Server.Admission.Register(RecordingPlugin.Validator("deny-blocked.example.com", _ => AdmissionResponse.Deny(403, "blocked"), r => r.Name == "blocked"));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(10));
        var list = await c.Client.CoreV1.ListNamespacedConfigMapAsync("default", cancellationToken: Ct);
        await using var watch = c.Client.CoreV1.WatchListNamespacedConfigMapAsync("default", resourceVersion: list.ResourceVersion(), cancellationToken: cts.Token).GetAsyncEnumerator(cts.Token);

        Assert.Equal(HttpStatusCode.Forbidden, (await api.PostAsync(ConfigMaps, ConfigMap("blocked"))).Code);
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsync(ConfigMaps, ConfigMap("allowed"))).Code);

        Assert.True(await watch.MoveNextAsync());
        Assert.Equal((WatchEventType.Added, "allowed"), (watch.Current.Item1, watch.Current.Item2.Name()));
    }

    [Fact]
    public async Task A_mutating_plugin_changes_what_is_stored()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        c.Server.Admission.Register(RecordingPlugin.Mutator("label.example.com", r =>
        {
            Meta(r.Object!)["labels"] = new JsonObject { ["admitted"] = "yes" };
            return AdmissionResponse.Mutate(r.Object!);
        }));

        var created = await api.PostAsync(ConfigMaps, ConfigMap("cm"));

        Assert.Equal("yes", created.Str("metadata", "labels", "admitted"));
        Assert.Equal("yes", (await api.GetAsync(ConfigMaps + "/cm")).Str("metadata", "labels", "admitted"));
    }

    [Fact]
    public async Task Mutating_plugins_run_in_registration_order_each_seeing_the_previous_result()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var seen = new List<string>();
        c.Server.Admission.Register(RecordingPlugin.Mutator("first.example.com", r => Append(r, "first")));
        c.Server.Admission.Register(RecordingPlugin.Mutator("second.example.com", r => Append(r, "second")));

        var created = await api.PostAsync(ConfigMaps, ConfigMap("cm", value: "0"));

        Assert.Equal(["0", "0,first"], seen);
        Assert.Equal("0,first,second", created.Str("data", "v"));

        AdmissionResponse Append(AdmissionRequest r, string what)
        {
            var value = r.Object!["data"]!["v"]!.ToString();
            seen.Add(value);
            r.Object["data"]!["v"] = $"{value},{what}";
            return AdmissionResponse.Mutate(r.Object);
        }
    }

    [Fact]
    public async Task Validating_plugins_see_the_object_as_it_will_be_stored()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var mutating = RecordingPlugin.Mutator("label.example.com", r =>
        {
            Meta(r.Object!)["labels"] = new JsonObject { ["admitted"] = "yes" };
            return AdmissionResponse.Mutate(r.Object!);
        });
        c.Server.Admission.Register(mutating);
        var validating = RecordingPlugin.Validator("check.example.com");
        c.Server.Admission.Register(validating);

        var created = await api.PostAsync(ConfigMaps, """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"generateName":"cm-"}}""");

        var seen = validating.Calls.Single();
        Assert.Equal("", mutating.Calls.Single().Name);
        Assert.Equal(created.Str("metadata", "name"), seen.Name);
        Assert.Equal("yes", seen.Object!["metadata"]!["labels"]!["admitted"]!.ToString());
        Assert.Equal(created.Str("metadata", "uid"), seen.Object["metadata"]!["uid"]!.ToString());
        Assert.Equal((AdmissionOperation.Create, "", "v1", "configmaps", "ConfigMap", "default"), (seen.Operation, seen.Group, seen.Version, seen.Resource, seen.Kind, seen.Namespace));
        Assert.Null(seen.Subresource);
        Assert.Null(seen.OldObject);
    }

    [Fact]
    public async Task A_custom_resource_a_mutating_plugin_returns_is_pruned_and_defaulted_again()
    {
        await using var c = await TestCluster.StartAsync();
        await c.CreateWidgetCrdAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        c.Server.Admission.Register(RecordingPlugin.Mutator("widget-defaults.example.com", r =>
        {
            r.Object!["spec"]!["size"] = 7;
            r.Object["spec"]!["unknown"] = "dropped";
            return AdmissionResponse.Mutate(r.Object);
        }));

        var created = await api.PostAsync(Widgets, """{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w1"},"spec":{"size":1}}""");

        Assert.Equal("""{"size":7}""", created.Body!["spec"]!.ToJsonString());
    }

    [Theory]
    [InlineData("PUT", null)]
    [InlineData("PATCH", "application/merge-patch+json")]
    [InlineData("PATCH", "application/json-patch+json")]
    [InlineData("PATCH", "application/strategic-merge-patch+json")]
    [InlineData("PATCH", "application/apply-patch+yaml")]
    public async Task Every_kind_of_update_is_admitted_with_the_patched_object_and_the_stored_one(string method, string? contentType)
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var created = await api.PostAsync(ConfigMaps, ConfigMap("cm", value: "1"));
        var plugin = RecordingPlugin.Validator("check.example.com");
        c.Server.Admission.Register(plugin);
        var body = contentType switch
        {
            null => ConfigMap("cm", value: "2"),
            "application/json-patch+json" => """[{"op":"replace","path":"/data/v","value":"2"}]""",
            "application/apply-patch+yaml" => ConfigMap("cm", value: "2"),
            _ => """{"data":{"v":"2"}}""",
        };
        var path = ConfigMaps + "/cm" + (contentType == "application/apply-patch+yaml" ? "?fieldManager=test&force=true" : "");

        var updated = await api.SendAsync(new HttpMethod(method), path, body, contentType ?? "application/json");

        Assert.Equal(HttpStatusCode.OK, updated.Code);
        var call = plugin.Calls.Single();
        Assert.Equal(AdmissionOperation.Update, call.Operation);
        Assert.Equal("2", call.Object!["data"]!["v"]!.ToString());
        Assert.Equal("1", call.OldObject!["data"]!["v"]!.ToString());
        Assert.Equal(created.Str("metadata", "resourceVersion"), call.OldObject["metadata"]!["resourceVersion"]!.ToString());
    }

    [Fact]
    public async Task Server_side_apply_of_a_missing_object_is_admitted_as_a_create()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var plugin = RecordingPlugin.Validator("check.example.com");
        c.Server.Admission.Register(plugin);

        var applied = await api.PatchAsync(ConfigMaps + "/cm?fieldManager=test", ConfigMap("cm"), "application/apply-patch+yaml");

        Assert.Equal(HttpStatusCode.Created, applied.Code);
        Assert.Equal(AdmissionOperation.Create, plugin.Calls.Single().Operation);
    }

    [Fact]
    public async Task A_status_write_is_admitted_as_an_update_of_the_status_subresource()
    {
        await using var c = await TestCluster.StartAsync();
        await c.CreateWidgetCrdAsync();
        await c.CreateWidgetAsync("w1");
        using var api = new RawApi(c.Server.BaseAddress);
        var plugin = RecordingPlugin.Validator("widget-status.example.com", handles: r => r.Subresource == "status");
        c.Server.Admission.Register(plugin);

        await api.PatchAsync(Widgets + "/w1", """{"spec":{"size":2}}""");
        await api.PatchAsync(Widgets + "/w1/status", """{"status":{"ready":true}}""");

        var call = plugin.Calls.Single();
        Assert.Equal((AdmissionOperation.Update, "example.com", "widgets", "status", "Widget"), (call.Operation, call.Group, call.Resource, call.Subresource, call.Kind));
        Assert.Equal("true", call.Object!["status"]!["ready"]!.ToJsonString());
        Assert.Null(call.OldObject!["status"]);
    }

    [Fact]
    public async Task A_denied_update_leaves_the_stored_object_unchanged()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var created = await api.PostAsync(ConfigMaps, ConfigMap("cm", value: "1"));
        c.Server.Admission.Register(RecordingPlugin.Validator("immutable.example.com", _ => AdmissionResponse.Deny(422, "data is immutable", "Invalid"), RecordingPlugin.On("configmaps", AdmissionOperation.Update)));

        var denied = await api.PatchAsync(ConfigMaps + "/cm", """{"data":{"v":"2"}}""");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, denied.Code);
        var stored = await api.GetAsync(ConfigMaps + "/cm");
        Assert.Equal("1", stored.Str("data", "v"));
        Assert.Equal(created.Str("metadata", "resourceVersion"), stored.Str("metadata", "resourceVersion"));
    }

    [Fact]
    public async Task A_write_redone_after_a_concurrent_change_is_admitted_again()
    {
        var policy = new AccessPolicy().AddToken("bystander-token", new TokenUser("bystander"));
        await using var c = await TestCluster.StartAsync(new KubeApiServerOptions { Access = policy });
        using var api = new RawApi(c.Server.BaseAddress);
        await api.PostAsync(ConfigMaps, ConfigMap("cm"));
        var interfered = 0;
        var plugin = new RecordingPlugin("check.example.com", mutating: false, r => r.User.Username != "bystander", async r =>
        {
            if (Interlocked.Exchange(ref interfered, 1) == 0)
            {
                // Another client's write lands between this attempt's read and its commit.
                var other = await api.SendAsync(HttpMethod.Patch, ConfigMaps + "/cm", """{"metadata":{"labels":{"other":"x"}}}""", "application/merge-patch+json",
                    headers: new Dictionary<string, string> { ["Authorization"] = "Bearer bystander-token" });
                Assert.Equal(HttpStatusCode.OK, other.Code);
            }

            return AdmissionResponse.Allow();
        });
        c.Server.Admission.Register(plugin);

        var patched = await api.PatchAsync(ConfigMaps + "/cm", """{"data":{"v":"2"}}""");

        Assert.Equal(HttpStatusCode.OK, patched.Code);
        Assert.Equal(2, plugin.Calls.Count);
        Assert.Null(plugin.Calls[0].OldObject!["metadata"]!["labels"]);
        Assert.Equal("x", plugin.Calls[1].OldObject!["metadata"]!["labels"]!["other"]!.ToString());
        Assert.Equal(("2", "x"), (patched.Str("data", "v"), patched.Str("metadata", "labels", "other")));
    }

    [Fact]
    public async Task Delete_is_admitted_with_the_stored_object_and_a_denial_keeps_it()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await api.PostAsync(ConfigMaps, ConfigMap("cm"));
        var plugin = RecordingPlugin.Validator("keep.example.com", _ => AdmissionResponse.Deny(403, "kept"), RecordingPlugin.On("configmaps", AdmissionOperation.Delete));
        c.Server.Admission.Register(plugin);

        var denied = await api.DeleteAsync(ConfigMaps + "/cm");

        Assert.Equal(HttpStatusCode.Forbidden, denied.Code);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync(ConfigMaps + "/cm")).Code);
        var call = plugin.Calls.Single();
        Assert.Null(call.Object);
        Assert.Equal(("cm", "1"), (call.Name, call.OldObject!["data"]!["v"]!.ToString()));
    }

    [Fact]
    public async Task Dry_run_requests_are_admitted_with_DryRun_set_and_store_nothing()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var plugin = RecordingPlugin.Validator("check.example.com");
        c.Server.Admission.Register(plugin);

        var created = await api.PostAsync(ConfigMaps + "?dryRun=All", ConfigMap("cm"));

        Assert.Equal(HttpStatusCode.Created, created.Code);
        Assert.True(plugin.Calls.Single().DryRun);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync(ConfigMaps + "/cm")).Code);
    }

    [Fact]
    public async Task A_plugin_that_throws_fails_the_request_as_a_webhook_that_could_not_be_called()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        c.Server.Admission.Register(new RecordingPlugin("broken.example.com", mutating: true, admit: _ => throw new InvalidOperationException("connection refused")));

        var failed = await api.PostAsync(ConfigMaps, ConfigMap("cm"));

        Assert.Equal(HttpStatusCode.InternalServerError, failed.Code);
        Assert.Equal("InternalError", failed.Str("reason"));
        Assert.Equal("Internal error occurred: failed calling webhook \"broken.example.com\": connection refused", failed.Str("message"));
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync(ConfigMaps + "/cm")).Code);
    }

    [Fact]
    public async Task A_plugin_whose_rules_do_not_match_is_not_called()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var plugin = RecordingPlugin.Validator("secrets-only.example.com", _ => AdmissionResponse.Deny(403, "no"), RecordingPlugin.On("secrets"));
        c.Server.Admission.Register(plugin);

        var created = await api.PostAsync(ConfigMaps, ConfigMap("cm"));

        Assert.Equal(HttpStatusCode.Created, created.Code);
        Assert.Empty(plugin.Calls);
        var asked = Assert.Single(plugin.Asked);
        Assert.Null(asked.Object);
    }

    [Fact]
    public async Task An_unregistered_plugin_is_no_longer_called()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var plugin = RecordingPlugin.Validator("gone.example.com", _ => AdmissionResponse.Deny(403, "no"));
        var registration = c.Server.Admission.Register(plugin);

        registration.Dispose();
        var created = await api.PostAsync(ConfigMaps, ConfigMap("cm"));

        Assert.Equal(HttpStatusCode.Created, created.Code);
        Assert.Empty(plugin.Calls);
        Assert.Empty(c.Server.Admission.Plugins);
    }

    [Fact]
    public async Task Reviews_are_not_admitted()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var plugin = RecordingPlugin.Validator("everything.example.com", _ => AdmissionResponse.Deny(403, "no"));
        c.Server.Admission.Register(plugin);

        var review = await api.PostAsync("/apis/authentication.k8s.io/v1/tokenreviews", """{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"t"}}""");

        Assert.Equal(HttpStatusCode.Created, review.Code);
        Assert.Empty(plugin.Calls);
    }

    [Fact]
    public async Task Garbage_collection_deletes_are_admitted_as_the_garbage_collector()
    {
        await using var c = await TestCluster.StartAsync();
        var owner = await c.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "owner" } }, "default", cancellationToken: Ct);
        await c.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "dependent", OwnerReferences = [new V1OwnerReference { ApiVersion = "v1", Kind = "ConfigMap", Name = "owner", Uid = owner.Uid() }] },
        }, "default", cancellationToken: Ct);
        var plugin = RecordingPlugin.Validator("deletes.example.com", handles: RecordingPlugin.On("configmaps", AdmissionOperation.Delete));
        c.Server.Admission.Register(plugin);

        await c.Client.CoreV1.DeleteNamespacedConfigMapAsync("owner", "default", cancellationToken: Ct);
        await CrudConformanceTests.WaitForAsync(async () => plugin.Calls.Count >= 2 ? DateTime.UtcNow : await Task.FromResult<DateTime?>(null));

        Assert.Equal(
            [("owner", "system:admin"), ("dependent", "system:serviceaccount:kube-system:generic-garbage-collector")],
            plugin.Calls.Select(r => (r.Name, r.User.Username)));
    }

    private static JsonObject Meta(JsonObject obj) => obj["metadata"] as JsonObject ?? throw new InvalidOperationException("no metadata");
}
