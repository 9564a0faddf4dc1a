using System.Text.Json.Nodes;
using Vers.Operator.Forks.Steps;

namespace Vers.Operator.Tests.Forks.Steps;

/// <summary>What keeps a source VM from moving into another organisation's namespace, named one by one.</summary>
public sealed class PortabilityTests
{
    private static JsonObject Content(string templateSpec, string? vmSpecExtra = null, params string[] backedUp) => JsonNode.Parse($$"""
        {
          "source": { "virtualMachine": { "metadata": { "name": "node-base", "namespace": "vers" },
            "spec": { {{vmSpecExtra ?? ""}} "template": { "spec": {{templateSpec}} } } } },
          "volumeBackups": [ {{string.Join(",", backedUp.Select(v => $$"""{ "volumeName": "{{v}}", "volumeSnapshotName": "vs-{{v}}" }"""))}} ]
        }
        """)!.AsObject();

    [Fact]
    public void A_VM_of_backed_up_disks_container_disks_and_inline_cloud_init_moves_freely()
    {
        var content = Content("""
            { "volumes": [ { "name": "rootdisk", "dataVolume": { "name": "root" } },
                           { "name": "data", "persistentVolumeClaim": { "claimName": "data" } },
                           { "name": "tools", "containerDisk": { "image": "quay.io/x" } },
                           { "name": "cloudinit", "cloudInitNoCloud": { "userData": "#cloud-config" } } ],
              "networks": [ { "name": "default", "pod": {} }, { "name": "lan", "multus": { "networkName": "lan" } } ] }
            """, """ "instancetype": { "name": "u1.medium" }, "preference": { "kind": "VirtualMachineClusterPreference", "name": "fedora" }, """,
            "rootdisk", "data");

        Assert.Empty(Portability.Problems(content, "dev"));
    }

    [Fact]
    public void A_cloud_init_secret_is_refused_rather_than_copied_across_tenants()
    {
        var content = Content("""{ "volumes": [ { "name": "cloudinit", "cloudInitNoCloud": { "secretRef": { "name": "userdata" }, "networkDataSecretRef": { "name": "netdata" } } } ] }""");

        Assert.Equal(
            ["Secret userdata (volume cloudinit, cloudInitNoCloud.secretRef)", "Secret netdata (volume cloudinit, cloudInitNoCloud.networkDataSecretRef)"],
            Portability.Problems(content, "dev"));
    }

    [Fact]
    public void Access_credentials_secret_and_config_map_volumes_and_a_service_account_are_named()
    {
        var content = Content("""
            { "volumes": [ { "name": "certs", "secret": { "secretName": "tls" } }, { "name": "conf", "configMap": { "name": "app" } },
                           { "name": "sa", "serviceAccount": { "serviceAccountName": "builder" } }, { "name": "default-sa", "serviceAccount": { "serviceAccountName": "default" } } ],
              "accessCredentials": [ { "sshPublicKey": { "source": { "secret": { "secretName": "keys" } } } } ] }
            """);

        Assert.Equal(
            ["Secret tls (volume certs)", "ConfigMap app (volume conf)", "ServiceAccount builder (volume sa)", "Secret keys (accessCredentials sshPublicKey)"],
            Portability.Problems(content, "dev"));
    }

    [Fact]
    public void A_Multus_network_written_namespace_slash_name_into_another_namespace_is_refused()
    {
        var content = Content("""
            { "volumes": [], "networks": [ { "name": "storage", "multus": { "networkName": "vers/storage-net" } }, { "name": "ok", "multus": { "networkName": "dev/lan" } } ] }
            """);

        Assert.Equal(["NetworkAttachmentDefinition vers/storage-net (network storage), in another namespace"], Portability.Problems(content, "dev"));
    }

    [Fact]
    public void Namespaced_instancetypes_and_preferences_are_refused_cluster_ones_are_not()
    {
        var content = Content("""{ "volumes": [] }""",
            """ "instancetype": { "kind": "VirtualMachineInstancetype", "name": "big" }, "preference": { "kind": "VirtualMachinePreference", "name": "mine" }, """);

        Assert.Equal(
            ["VirtualMachineInstancetype big (spec.instancetype), a namespaced kind", "VirtualMachinePreference mine (spec.preference), a namespaced kind"],
            Portability.Problems(content, "dev"));
    }

    /// <summary>KubeVirt leaves out of a snapshot every claim it cannot snapshot (snapshot.go getSnapshotPVC): the copy would lack that disk.</summary>
    [Fact]
    public void A_disk_the_source_snapshot_did_not_back_up_is_refused()
    {
        var content = Content("""
            { "volumes": [ { "name": "rootdisk", "dataVolume": { "name": "root" } }, { "name": "scratch", "persistentVolumeClaim": { "claimName": "scratch" } } ] }
            """, null, "rootdisk");

        Assert.Equal(["PersistentVolumeClaim scratch (volume scratch), which the source snapshot did not back up"], Portability.Problems(content, "dev"));
    }
}
