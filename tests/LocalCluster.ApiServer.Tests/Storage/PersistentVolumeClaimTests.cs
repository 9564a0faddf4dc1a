using System.Net;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;
using Vers.LocalCluster.ApiServer;
using static Vers.LocalCluster.ApiServer.Tests.Storage.StorageManifests;

namespace Vers.LocalCluster.ApiServer.Tests.Storage;

/// <summary>
/// PersistentVolumeClaim as kube-apiserver v1.32 serves it: the registry strategy, the DefaultStorageClass and
/// StorageObjectInUseProtection admission plugins, ValidatePersistentVolumeClaim(Update), and the pvc-protection
/// controller's part in deletion.
/// </summary>
public sealed class PersistentVolumeClaimTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Create_resets_status_to_Pending_and_defaults_volumeMode_to_Filesystem()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var created = await api.PostAsync(Claims, """
            {"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"data"},
             "spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}},
             "status":{"phase":"Bound","capacity":{"storage":"5Gi"}}}
            """);

        Assert.Equal(HttpStatusCode.Created, created.Code);
        Assert.Equal("""{"phase":"Pending"}""", created.Body!["status"]!.ToJsonString());
        Assert.Equal("Filesystem", created.Str("spec", "volumeMode"));
    }

    [Fact]
    public async Task Create_adds_the_pvc_protection_finalizer()
    {
        await using var c = await TestCluster.StartAsync();
        var pvc = KubernetesJson.Deserialize<V1PersistentVolumeClaim>(Claim("data"));
        pvc.Metadata.Finalizers = ["example.com/keep"];

        var created = await c.Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(pvc, "default", cancellationToken: Ct);

        Assert.Equal(["example.com/keep", "kubernetes.io/pvc-protection"], created.Metadata.Finalizers);
    }

    [Fact]
    public async Task Quantities_are_stored_in_canonical_form()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);

        var created = await api.PostAsync(Claims, Claim("data", size: "1024Mi"));

        Assert.Equal("1Gi", created.Str("spec", "resources", "requests", "storage"));
    }

    [Fact]
    public async Task A_request_that_is_not_a_quantity_is_400_from_the_decoder()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);

        var bad = await api.PostAsync(Claims, Claim("data", size: "lots"));

        Assert.Equal(HttpStatusCode.BadRequest, bad.Code);
        Assert.Equal("PersistentVolumeClaim in version \"v1\" cannot be handled as a PersistentVolumeClaim: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'", bad.Str("message"));
    }

    [Fact]
    public async Task A_claim_without_a_class_gets_the_default_StorageClass()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await api.PostAsync(Classes, Class("standard", isDefault: true));
        await api.PostAsync(Classes, Class("fast"));

        var created = await api.PostAsync(Claims, Claim("data"));

        Assert.Equal("standard", created.Str("spec", "storageClassName"));
    }

    [Fact]
    public async Task With_several_default_classes_the_newest_one_is_chosen()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 5, 1, 12, 0, 0, TimeSpan.Zero));
        await using var c = await TestCluster.StartAsync(new KubeApiServerOptions { Time = time });
        using var api = new RawApi(c.Server.BaseAddress);
        await api.PostAsync(Classes, Class("a-older", isDefault: true));
        time.Advance(TimeSpan.FromMinutes(1));
        await api.PostAsync(Classes, Class("z-newer", isDefault: true));

        var created = await api.PostAsync(Claims, Claim("data"));

        Assert.Equal("z-newer", created.Str("spec", "storageClassName"));
    }

    [Fact]
    public async Task A_claim_that_names_a_class_or_the_empty_class_keeps_it()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await api.PostAsync(Classes, Class("standard", isDefault: true));

        var named = await api.PostAsync(Claims, Claim("named", storageClass: "fast"));
        var empty = await api.PostAsync(Claims, Claim("static", storageClass: ""));

        Assert.Equal("fast", named.Str("spec", "storageClassName"));
        Assert.Equal("", empty.Str("spec", "storageClassName"));
    }

    [Fact]
    public async Task Without_a_default_class_the_claim_keeps_no_class()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await api.PostAsync(Classes, Class("fast"));

        var created = await api.PostAsync(Claims, Claim("data"));

        Assert.Null(created.Body!["spec"]!["storageClassName"]);
    }

    [Fact]
    public async Task A_claim_without_access_modes_or_storage_request_is_422_with_upstream_fields()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);

        var bad = await api.PostAsync(Claims, """{"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"bad"},"spec":{}}""");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.Code);
        Assert.Equal("PersistentVolumeClaim \"bad\" is invalid: [spec.accessModes: Required value: at least 1 access mode is required, spec.resources[storage]: Required value]", bad.Str("message"));
        Assert.Equal(
            [("FieldValueRequired", "spec.accessModes", "Required value: at least 1 access mode is required"), ("FieldValueRequired", "spec.resources[storage]", "Required value")],
            bad.Causes());
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync(Claims + "/bad")).Code);
    }

    [Fact]
    public async Task An_unknown_access_mode_is_422_unsupported_value()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);

        var bad = await api.PostAsync(Claims, Claim("bad", accessModes: "[\"ReadWriteSometimes\"]"));

        Assert.Equal("PersistentVolumeClaim \"bad\" is invalid: spec.accessModes: Unsupported value: \"ReadWriteSometimes\": supported values: \"ReadOnlyMany\", \"ReadWriteMany\", \"ReadWriteOnce\", \"ReadWriteOncePod\"", bad.Str("message"));
    }

    [Fact]
    public async Task A_storage_request_of_zero_is_422_must_be_greater_than_zero()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);

        var bad = await api.PostAsync(Claims, Claim("bad", size: "0Gi"));

        Assert.Equal("PersistentVolumeClaim \"bad\" is invalid: spec.resources[storage]: Invalid value: \"0\": must be greater than zero", bad.Str("message"));
    }

    [Fact]
    public async Task The_spec_of_a_claim_is_immutable()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await api.PostAsync(Claims, Claim("data", storageClass: "standard"));

        var changed = await api.PatchAsync(Claims + "/data", """{"spec":{"storageClassName":"fast"}}""");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, changed.Code);
        Assert.Equal("PersistentVolumeClaim \"data\" is invalid: spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims", changed.Str("message"));
    }

    [Fact]
    public async Task The_request_of_a_claim_that_is_not_bound_cannot_change()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await api.PostAsync(Claims, Claim("data"));

        var grown = await api.PatchAsync(Claims + "/data", """{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}""");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, grown.Code);
        Assert.Contains("spec: Forbidden: spec is immutable after creation", grown.Str("message"));
    }

    [Fact]
    public async Task The_binder_may_set_volumeName_once()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await api.PostAsync(Claims, Claim("data"));

        var bound = await api.PatchAsync(Claims + "/data", """{"spec":{"volumeName":"pv-1"}}""");
        var rebound = await api.PatchAsync(Claims + "/data", """{"spec":{"volumeName":"pv-2"}}""");

        Assert.Equal(HttpStatusCode.OK, bound.Code);
        Assert.Equal("pv-1", bound.Str("spec", "volumeName"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, rebound.Code);
    }

    [Fact]
    public async Task A_bound_claim_may_grow_its_storage_request()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await BindAsync(api, "data", "1Gi");

        var grown = await api.PatchAsync(Claims + "/data", """{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}""");

        Assert.Equal(HttpStatusCode.OK, grown.Code);
        Assert.Equal("2Gi", grown.Str("spec", "resources", "requests", "storage"));
    }

    [Fact]
    public async Task A_bound_claim_may_not_shrink_its_request_to_its_capacity_or_below()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await BindAsync(api, "data", "2Gi");

        var shrunk = await api.PatchAsync(Claims + "/data", """{"spec":{"resources":{"requests":{"storage":"1Gi"}}}}""");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, shrunk.Code);
        Assert.Equal("PersistentVolumeClaim \"data\" is invalid: spec.resources.requests.storage: Forbidden: field can not be less than status.capacity", shrunk.Str("message"));
    }

    [Fact]
    public async Task A_bound_claim_may_not_change_anything_else_in_its_spec()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await BindAsync(api, "data", "1Gi");

        var changed = await api.PatchAsync(Claims + "/data", """{"spec":{"accessModes":["ReadWriteMany"],"resources":{"requests":{"storage":"2Gi"}}}}""");

        Assert.Equal("PersistentVolumeClaim \"data\" is invalid: spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims", changed.Str("message"));
    }

    [Fact]
    public async Task A_status_write_changes_only_the_status()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await api.PostAsync(Claims, Claim("data"));

        var written = await api.PatchAsync(Claims + "/data/status", """{"spec":{"volumeMode":"Block"},"status":{"phase":"Bound","accessModes":["ReadWriteOnce"],"capacity":{"storage":"1Gi"}}}""");

        Assert.Equal(HttpStatusCode.OK, written.Code);
        Assert.Equal("Bound", written.Str("status", "phase"));
        Assert.Equal("Filesystem", written.Str("spec", "volumeMode"));
    }

    [Fact]
    public async Task A_main_resource_write_keeps_the_status()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await BindAsync(api, "data", "1Gi");

        var labelled = await api.PatchAsync(Claims + "/data", """{"metadata":{"labels":{"team":"a"}},"status":{"phase":"Lost"}}""");

        Assert.Equal("Bound", labelled.Str("status", "phase"));
        Assert.Equal("a", labelled.Str("metadata", "labels", "team"));
    }

    [Fact]
    public async Task Delete_completes_once_the_protection_controller_releases_the_claim()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await api.PostAsync(Claims, Claim("data"));

        var deleting = await api.DeleteAsync(Claims + "/data");

        Assert.Equal(HttpStatusCode.OK, deleting.Code);
        Assert.NotNull(deleting.Str("metadata", "deletionTimestamp"));
        await CrudConformanceTests.WaitForAsync(async () => (await api.GetAsync(Claims + "/data")).Code == HttpStatusCode.NotFound ? DateTime.UtcNow : null);
    }

    [Fact]
    public async Task Deleting_a_namespace_with_claims_completes()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await api.PostAsync("/api/v1/namespaces", """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team"}}""");
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsync("/api/v1/namespaces/team/persistentvolumeclaims", Claim("data"))).Code);

        await api.DeleteAsync("/api/v1/namespaces/team");

        await CrudConformanceTests.WaitForAsync(async () => (await api.GetAsync("/api/v1/namespaces/team")).Code == HttpStatusCode.NotFound ? DateTime.UtcNow : null);
    }

    [Fact]
    public async Task Claims_are_listed_in_discovery_with_short_name_and_status_subresource()
    {
        await using var c = await TestCluster.StartAsync();
        var resources = await c.Client.CoreV1.GetAPIResourcesAsync(Ct);

        var pvc = Assert.Single(resources.Resources, r => r.Name == "persistentvolumeclaims");

        Assert.Equal(["pvc"], pvc.ShortNames);
        Assert.True(pvc.Namespaced);
        Assert.Equal("PersistentVolumeClaim", pvc.Kind);
        Assert.Contains(resources.Resources, r => r.Name == "persistentvolumeclaims/status");
    }

    /// <summary>Creates a claim and marks it bound with the given capacity, as the binder would.</summary>
    private static async Task BindAsync(RawApi api, string name, string size)
    {
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsync(Claims, Claim(name, size: size))).Code);
        var named = await api.PatchAsync($"{Claims}/{name}", $$$"""{"spec":{"volumeName":"pv-{{{name}}}"}}""");
        Assert.Equal(HttpStatusCode.OK, named.Code);
        var bound = await api.PatchAsync($"{Claims}/{name}/status", $$$$"""{"status":{"phase":"Bound","accessModes":["ReadWriteOnce"],"capacity":{"storage":"{{{{size}}}}"}}}""");
        Assert.Equal(HttpStatusCode.OK, bound.Code);
    }
}
