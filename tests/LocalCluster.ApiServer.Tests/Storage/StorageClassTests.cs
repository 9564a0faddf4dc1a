using System.Net;
using k8s;
using k8s.Models;
using static Vers.LocalCluster.ApiServer.Tests.Storage.StorageManifests;

namespace Vers.LocalCluster.ApiServer.Tests.Storage;

/// <summary>StorageClass (storage.k8s.io/v1) as kube-apiserver v1.32 serves it: defaults, ValidateStorageClass(Update).</summary>
public sealed class StorageClassTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Create_defaults_reclaimPolicy_Delete_and_volumeBindingMode_Immediate()
    {
        await using var c = await TestCluster.StartAsync();
        var sc = await c.Client.StorageV1.CreateStorageClassAsync(new V1StorageClass { Metadata = new V1ObjectMeta { Name = "standard" }, Provisioner = "hostpath.csi.k8s.io" }, cancellationToken: Ct);

        Assert.Equal("Delete", sc.ReclaimPolicy);
        Assert.Equal("Immediate", sc.VolumeBindingMode);
        Assert.Null(sc.Metadata.NamespaceProperty);
    }

    [Fact]
    public async Task A_class_without_provisioner_is_422()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);

        var bad = await api.PostAsync(Classes, """{"apiVersion":"storage.k8s.io/v1","kind":"StorageClass","metadata":{"name":"bad"}}""");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.Code);
        Assert.Equal("StorageClass.storage.k8s.io \"bad\" is invalid: provisioner: Required value", bad.Str("message"));
    }

    [Fact]
    public async Task An_unsupported_reclaim_policy_is_422()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);

        var bad = await api.PostAsync(Classes, Class("bad").Replace("\"provisioner\"", "\"reclaimPolicy\":\"Recycle\",\"provisioner\"", StringComparison.Ordinal));

        Assert.Equal("StorageClass.storage.k8s.io \"bad\" is invalid: reclaimPolicy: Unsupported value: \"Recycle\": supported values: \"Delete\", \"Retain\"", bad.Str("message"));
    }

    [Fact]
    public async Task Provisioner_parameters_reclaimPolicy_and_volumeBindingMode_cannot_change()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await api.PostAsync(Classes, Class("standard"));

        var changed = await api.PatchAsync(Classes + "/standard", """
            {"provisioner":"other.csi.k8s.io","parameters":{"type":"ssd"},"reclaimPolicy":"Retain","volumeBindingMode":"WaitForFirstConsumer"}
            """);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, changed.Code);
        Assert.Equal(
            "StorageClass.storage.k8s.io \"standard\" is invalid: [parameters: Forbidden: updates to parameters are forbidden., "
            + "provisioner: Forbidden: updates to provisioner are forbidden., reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden., "
            + "volumeBindingMode: Invalid value: \"WaitForFirstConsumer\": field is immutable]",
            changed.Str("message"));
    }

    [Fact]
    public async Task The_default_annotation_and_allowVolumeExpansion_may_change()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await api.PostAsync(Classes, Class("standard"));

        var changed = await api.PatchAsync(Classes + "/standard", """
            {"metadata":{"annotations":{"storageclass.kubernetes.io/is-default-class":"true"}},"allowVolumeExpansion":true}
            """);

        Assert.Equal(HttpStatusCode.OK, changed.Code);
        Assert.Equal("true", changed.Str("allowVolumeExpansion"));
    }

    [Fact]
    public async Task Classes_are_served_in_storage_k8s_io_v1_with_short_name_sc()
    {
        await using var c = await TestCluster.StartAsync();
        var resources = await c.Client.StorageV1.GetAPIResourcesAsync(Ct);

        var sc = Assert.Single(resources.Resources, r => r.Name == "storageclasses");

        Assert.Equal(["sc"], sc.ShortNames);
        Assert.False(sc.Namespaced);
        Assert.DoesNotContain(resources.Resources, r => r.Name == "storageclasses/status");
    }

    [Fact]
    public async Task Delete_of_a_class_is_immediate()
    {
        await using var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        await api.PostAsync(Classes, Class("standard"));

        var deleted = await api.DeleteAsync(Classes + "/standard");

        Assert.Equal("Success", deleted.Str("status"));
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync(Classes + "/standard")).Code);
    }
}
