using static Vers.LocalCluster.ApiServer.Tests.Registry.RegistryApi;

namespace Vers.LocalCluster.ApiServer.Tests.Registry.Volumes;

/// <summary>PersistentVolumeClaims, PersistentVolumes and StorageClasses decode as into their Go types too.</summary>
public sealed class StorageKindStrategyTests
{
    private const string Claims = "/api/v1/namespaces/default/persistentvolumeclaims";

    [Fact]
    public async Task A_claim_with_a_string_for_its_access_modes_is_400()
    {
        await using var api = await StartAsync();

        var message = await api.FailsAsync(Claims, """{"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"c"},"spec":{"accessModes":"ReadWriteOnce","resources":{"requests":{"storage":"1Gi"}}}}""", 400);

        Assert.Equal("PersistentVolumeClaim in version \"v1\" cannot be handled as a PersistentVolumeClaim: json: cannot unmarshal string into Go struct field PersistentVolumeClaimSpec.spec.accessModes of type []string", message);
    }

    [Fact]
    public async Task A_storage_class_with_an_unknown_field_warns_and_drops_it()
    {
        await using var api = await StartAsync();

        var r = await api.CreatedAsync("/apis/storage.k8s.io/v1/storageclasses", """{"apiVersion":"storage.k8s.io/v1","kind":"StorageClass","metadata":{"name":"sc"},"provisioner":"x.csi.k8s.io","spec":{}}""");

        Assert.Equal(["299 - \"unknown field \\\"spec\\\"\""], r.Warnings);
        Assert.Null(r.Body!["spec"]);
    }
}
