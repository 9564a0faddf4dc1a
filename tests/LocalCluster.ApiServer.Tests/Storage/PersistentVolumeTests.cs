using System.Net;
using static Vers.LocalCluster.ApiServer.Tests.Storage.StorageManifests;

namespace Vers.LocalCluster.ApiServer.Tests.Storage;

/// <summary>
/// PersistentVolume as kube-apiserver v1.32 serves it: defaults, the registry strategy, StorageObjectInUseProtection,
/// ValidatePersistentVolume(Update), and the pv-protection controller's part in deletion.
/// </summary>
public sealed class PersistentVolumeTests
{
    [Fact]
    public async Task Create_sets_phase_Pending_reclaim_policy_Retain_and_the_pv_protection_finalizer()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);

        var created = await api.PostAsync(Volumes, Volume("pv-1"));

        Assert.Equal(HttpStatusCode.Created, created.Code);
        Assert.Equal("Pending", created.Str("status", "phase"));
        Assert.NotNull(created.Str("status", "lastPhaseTransitionTime"));
        Assert.Equal("Retain", created.Str("spec", "persistentVolumeReclaimPolicy"));
        Assert.Equal("Filesystem", created.Str("spec", "volumeMode"));
        Assert.Equal("""["kubernetes.io/pv-protection"]""", created.Body!["metadata"]!["finalizers"]!.ToJsonString());
    }

    [Fact]
    public async Task Volumes_are_cluster_scoped()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);

        var namespaced = await api.PostAsync("/api/v1/namespaces/default/persistentvolumes", Volume("pv-1"));

        Assert.Equal(HttpStatusCode.NotFound, namespaced.Code);
    }

    [Fact]
    public async Task A_volume_without_capacity_access_modes_or_source_is_422_with_upstream_fields()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);

        var bad = await api.PostAsync(Volumes, """{"apiVersion":"v1","kind":"PersistentVolume","metadata":{"name":"bad"},"spec":{}}""");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.Code);
        Assert.Equal(
            "PersistentVolume \"bad\" is invalid: [spec.accessModes: Required value, spec.capacity: Required value, "
            + "spec.capacity: Unsupported value: core.ResourceList(nil): supported values: \"storage\", spec: Required value: must specify a volume type]",
            bad.Str("message"));
    }

    [Fact]
    public async Task A_csi_source_needs_a_driver_and_a_volume_handle()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);

        var bad = await api.PostAsync(Volumes, """
            {"apiVersion":"v1","kind":"PersistentVolume","metadata":{"name":"bad"},
             "spec":{"capacity":{"storage":"1Gi"},"accessModes":["ReadWriteOnce"],"csi":{}}}
            """);

        Assert.Equal(
            [("FieldValueRequired", "spec.csi.driver", "Required value"),
             ("FieldValueInvalid", "spec.csi.driver", "Invalid value: \"\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"),
             ("FieldValueRequired", "spec.csi.volumeHandle", "Required value")],
            bad.Causes());
    }

    [Fact]
    public async Task A_volume_with_two_sources_is_422()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);

        var bad = await api.PostAsync(Volumes, Volume("bad").Replace("\"csi\":", "\"hostPath\":{\"path\":\"/data\"},\"csi\":", StringComparison.Ordinal));

        Assert.Equal("PersistentVolume \"bad\" is invalid: spec.csi: Forbidden: may not specify more than 1 volume type", bad.Str("message"));
    }

    [Fact]
    public async Task The_volume_source_is_immutable()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await api.PostAsync(Volumes, Volume("pv-1"));

        var moved = await api.PatchAsync(Volumes + "/pv-1", """{"spec":{"csi":{"volumeHandle":"elsewhere"}}}""");

        Assert.Equal("PersistentVolume \"pv-1\" is invalid: spec.persistentvolumesource: Forbidden: spec.persistentvolumesource is immutable after creation", moved.Str("message"));
    }

    [Fact]
    public async Task The_claim_reference_and_class_of_a_volume_may_change()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await api.PostAsync(Volumes, Volume("pv-1"));

        var claimed = await api.PatchAsync(Volumes + "/pv-1", """{"spec":{"storageClassName":"standard","claimRef":{"namespace":"default","name":"data"}}}""");

        Assert.Equal(HttpStatusCode.OK, claimed.Code);
        Assert.Equal("data", claimed.Str("spec", "claimRef", "name"));
    }

    [Fact]
    public async Task A_status_write_that_changes_the_phase_stamps_the_transition_time()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await api.PostAsync(Volumes, Volume("pv-1"));

        var bound = await api.PatchAsync(Volumes + "/pv-1/status", """{"status":{"phase":"Bound","lastPhaseTransitionTime":null}}""");

        Assert.Equal("Bound", bound.Str("status", "phase"));
        Assert.NotNull(bound.Str("status", "lastPhaseTransitionTime"));
    }

    [Fact]
    public async Task Delete_of_a_volume_that_is_not_bound_completes()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await api.PostAsync(Volumes, Volume("pv-1"));

        Assert.Equal(HttpStatusCode.OK, (await api.DeleteAsync(Volumes + "/pv-1")).Code);

        await CrudConformanceTests.WaitForAsync(async () => (await api.GetAsync(Volumes + "/pv-1")).Code == HttpStatusCode.NotFound ? DateTime.UtcNow : null);
    }

    [Fact]
    public async Task Delete_of_a_bound_volume_waits_until_it_is_released()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await api.PostAsync(Volumes, Volume("pv-1"));
        await api.PatchAsync(Volumes + "/pv-1/status", """{"status":{"phase":"Bound"}}""");

        await api.DeleteAsync(Volumes + "/pv-1");
        await Task.Delay(300, TestContext.Current.CancellationToken);
        var waiting = await api.GetAsync(Volumes + "/pv-1");
        var printed = await TableStatusAsync(api);
        await api.PatchAsync(Volumes + "/pv-1/status", """{"status":{"phase":"Released"}}""");

        Assert.Equal(HttpStatusCode.OK, waiting.Code);
        Assert.Equal("""["kubernetes.io/pv-protection"]""", waiting.Body!["metadata"]!["finalizers"]!.ToJsonString());
        Assert.Equal("Terminating", printed);
        await CrudConformanceTests.WaitForAsync(async () => (await api.GetAsync(Volumes + "/pv-1")).Code == HttpStatusCode.NotFound ? DateTime.UtcNow : null);

        static async Task<string> TableStatusAsync(RawApi api)
        {
            var table = await api.SendAsync(HttpMethod.Get, Volumes, null, null, headers: new Dictionary<string, string> { ["Accept"] = "application/json;as=Table;v=v1;g=meta.k8s.io" });
            var rows = table.Body!["rows"]!.AsArray();
            return rows.Count == 0 ? "" : rows[0]!["cells"]![4]!.ToString();
        }
    }
}
