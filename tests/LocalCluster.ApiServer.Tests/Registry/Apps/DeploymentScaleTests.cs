using System.Net;
using System.Text.Json.Nodes;
using static Vers.LocalCluster.ApiServer.Tests.Registry.Manifests;

namespace Vers.LocalCluster.ApiServer.Tests.Registry.Apps;

/// <summary>deployments/scale served as autoscaling/v1 Scale (ScaleREST, pkg/registry/apps/deployment/storage/storage.go).</summary>
public sealed class DeploymentScaleTests
{
    private const string Scale = Deployments + "/web/scale";

    [Fact]
    public async Task Get_serves_the_deployment_as_an_autoscaling_v1_Scale()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var d = await CreatedAsync(api, Deployments, Deployment, """{"spec":{"replicas":2}}""");
        var r = await api.GetAsync(Scale);
        Assert.Equal(HttpStatusCode.OK, r.Code);
        var meta = d.Body!["metadata"]!;
        var expected = new JsonObject
        {
            ["kind"] = "Scale",
            ["apiVersion"] = "autoscaling/v1",
            ["metadata"] = new JsonObject
            {
                ["name"] = "web", ["namespace"] = "default", ["uid"] = meta["uid"]!.ToString(),
                ["resourceVersion"] = meta["resourceVersion"]!.ToString(), ["creationTimestamp"] = meta["creationTimestamp"]!.ToString(),
            },
            ["spec"] = new JsonObject { ["replicas"] = 2 },
            ["status"] = new JsonObject { ["replicas"] = 0, ["selector"] = "app=web" },
        };
        Assert.Equal(expected.ToJsonString(), r.Body!.ToJsonString());
    }

    [Fact]
    public async Task Selector_is_the_label_selector_as_a_string_sorted_by_key()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await CreatedAsync(api, Deployments, Deployment, """
            {"spec":{"selector":{"matchLabels":{"app":"web"},"matchExpressions":[{"key":"tier","operator":"In","values":["front","edge"]},{"key":"canary","operator":"DoesNotExist"}]},
                     "template":{"metadata":{"labels":{"app":"web","tier":"edge"}}}}}
            """);
        Assert.Equal("app=web,!canary,tier in (edge,front)", (await api.GetAsync(Scale)).Str("status", "selector"));
    }

    [Fact]
    public async Task Put_sets_spec_replicas_and_bumps_the_generation()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await CreatedAsync(api, Deployments, Deployment);
        var scale = (await api.GetAsync(Scale)).Body!;
        scale["spec"] = new JsonObject { ["replicas"] = 5 };
        var r = await api.PutAsync(Scale, scale.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, r.Code);
        Assert.Equal("5", r.Str("spec", "replicas"));
        Assert.Equal("Scale", r.Str("kind"));
        var d = await api.GetAsync(Deployments + "/web");
        Assert.Equal("5", d.Str("spec", "replicas"));
        Assert.Equal("2", d.Str("metadata", "generation"));
        Assert.Equal(d.Str("metadata", "resourceVersion"), r.Str("metadata", "resourceVersion"));
    }

    [Fact]
    public async Task Put_with_a_stale_resource_version_is_a_conflict_on_the_deployment()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await CreatedAsync(api, Deployments, Deployment);
        var scale = (await api.GetAsync(Scale)).Body!;
        await api.PatchAsync(Deployments + "/web", """{"metadata":{"labels":{"x":"y"}}}""");
        scale["spec"] = new JsonObject { ["replicas"] = 3 };
        var r = await api.PutAsync(Scale, scale.ToJsonString());
        Assert.Equal(HttpStatusCode.Conflict, r.Code);
        Assert.Equal("Operation cannot be fulfilled on deployments.apps \"web\": the object has been modified; please apply your changes to the latest version and try again", r.Str("message"));
    }

    [Fact]
    public async Task Put_with_another_uid_fails_the_precondition()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var uid = (await CreatedAsync(api, Deployments, Deployment)).Str("metadata", "uid");
        var r = await api.PutAsync(Scale, """{"apiVersion":"autoscaling/v1","kind":"Scale","metadata":{"name":"web","uid":"other"},"spec":{"replicas":3}}""");
        Assert.Equal(HttpStatusCode.Conflict, r.Code);
        Assert.Equal($"Operation cannot be fulfilled on deployments/scale.apps \"web\": Precondition failed: UID in precondition: other, UID in object meta: {uid}", r.Str("message"));
    }

    [Fact]
    public async Task Negative_replicas_are_an_invalid_Scale()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await CreatedAsync(api, Deployments, Deployment);
        var r = await api.PatchAsync(Scale, """{"spec":{"replicas":-1}}""");
        Assert.Equal("Scale.autoscaling \"web\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0", Invalid(r));
        Assert.Equal("autoscaling", r.Str("details", "group"));
        Assert.Equal("Scale", r.Str("details", "kind"));
    }

    [Fact]
    public async Task Put_without_a_name_is_an_invalid_Scale()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await CreatedAsync(api, Deployments, Deployment);
        var r = await api.PutAsync(Scale, """{"apiVersion":"autoscaling/v1","kind":"Scale","spec":{"replicas":2}}""");
        Assert.Equal("Scale.autoscaling \"web\" is invalid: metadata.name: Required value: name or generateName is required", Invalid(r));
    }

    [Fact]
    public async Task Write_is_recorded_in_managed_fields_as_the_scale_subresource_of_apps_v1()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await CreatedAsync(api, Deployments, Deployment);
        await api.PatchAsync(Scale + "?fieldManager=autoscaler", """{"spec":{"replicas":4}}""");
        var entries = (await api.GetAsync(Deployments + "/web")).Body!["metadata"]!["managedFields"]!.AsArray();
        var entry = entries.Single(e => e!["manager"]!.ToString() == "autoscaler")!;
        Assert.Equal("apps/v1", entry["apiVersion"]!.ToString());
        Assert.Equal("scale", entry["subresource"]!.ToString());
        Assert.Equal("""{"f:spec":{"f:replicas":{}}}""", entry["fieldsV1"]!.ToJsonString());
    }

    [Fact]
    public async Task Scale_of_a_missing_deployment_is_not_found()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var r = await api.GetAsync(Deployments + "/nope/scale");
        Assert.Equal(HttpStatusCode.NotFound, r.Code);
        Assert.Equal("deployments.apps \"nope\" not found", r.Str("message"));
    }

    [Fact]
    public async Task Body_of_another_kind_is_rejected()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await CreatedAsync(api, Deployments, Deployment);
        var r = await api.PutAsync(Scale, Deployment);
        Assert.Equal(HttpStatusCode.BadRequest, r.Code);
        Assert.Equal("the API version in the data (apps/v1) does not match the expected API version (autoscaling/v1)", r.Str("message"));
    }

    [Fact]
    public async Task Server_side_apply_is_not_served_through_scale()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await CreatedAsync(api, Deployments, Deployment);
        var r = await api.PatchAsync(Scale + "?fieldManager=me", """{"apiVersion":"autoscaling/v1","kind":"Scale","spec":{"replicas":2}}""", "application/apply-patch+yaml");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, r.Code);
    }

    [Fact]
    public async Task Legacy_discovery_lists_scale_as_autoscaling_v1_Scale_and_status()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var resources = (await api.GetAsync("/apis/apps/v1")).Body!["resources"]!.AsArray();
        Assert.Equal(["deployments", "deployments/scale", "deployments/status"], resources.Select(r => r!["name"]!.ToString()));
        Assert.Equal("""{"name":"deployments/scale","singularName":"","namespaced":true,"group":"autoscaling","version":"v1","kind":"Scale","verbs":["get","patch","update"]}""",
            resources[1]!.ToJsonString());
        Assert.Equal("""{"name":"deployments/status","singularName":"","namespaced":true,"kind":"Deployment","verbs":["get","patch","update"]}""", resources[2]!.ToJsonString());
    }

    [Fact]
    public async Task Aggregated_discovery_lists_scale_and_status_subresources()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var r = await api.SendAsync(HttpMethod.Get, "/apis", null, null, headers: new Dictionary<string, string> { ["Accept"] = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList" });
        var apps = r.Body!["items"]!.AsArray().Single(i => i!["metadata"]!["name"]!.ToString() == "apps")!;
        var deployments = apps["versions"]![0]!["resources"]!.AsArray().Single(x => x!["resource"]!.ToString() == "deployments")!;
        Assert.Equal("""[{"subresource":"scale","responseKind":{"group":"autoscaling","version":"v1","kind":"Scale"},"verbs":["get","patch","update"]},"""
                     + """{"subresource":"status","responseKind":{"group":"apps","version":"v1","kind":"Deployment"},"verbs":["get","patch","update"]}]""",
            deployments["subresources"]!.ToJsonString());
    }
}
