using System.Text.Json.Nodes;
using Vers.LocalCluster.KubeVirt;

namespace Vers.LocalCluster.KubeVirt.Tests;

public sealed class KubeVirtSchemaValidatorTests
{
    public static TheoryData<string> ValidSamples => ["vm", "snapshot", "clone", "clone-no-target", "datavolume", "snapshot-status", "volumesnapshot"];

    [Theory]
    [MemberData(nameof(ValidSamples))]
    public void Accepts_upstream_shaped_objects(string sample)
    {
        var obj = sample switch
        {
            "vm" => KubeVirtSamples.VirtualMachine("vm1", "org-a"),
            "snapshot" => KubeVirtSamples.Snapshot("s1", "org-a", "vm1"),
            "clone" => KubeVirtSamples.Clone("c1", "org-a", "s1", "fork"),
            "clone-no-target" => KubeVirtSamples.Clone("c1", "org-a", "s1", null),
            "datavolume" => KubeVirtSamples.DataVolumeFromSnapshot("dv1", "org-b", "org-a", "vs1"),
            "snapshot-status" => WithStatus(KubeVirtSamples.Snapshot("s1", "org-a", "vm1"), """
                { "phase": "Succeeded", "readyToUse": true, "creationTime": "2026-08-01T10:00:00Z",
                  "conditions": [ { "type": "Ready", "status": "True", "reason": "Ready", "lastProbeTime": null, "lastTransitionTime": "2026-08-01T10:00:00Z" } ],
                  "sourceIndications": [ { "indication": "Online", "message": "online" } ],
                  "snapshotVolumes": { "includedVolumes": ["root"], "excludedVolumes": [] } }
                """),
            "volumesnapshot" => JsonNode.Parse("""
                { "apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshot", "metadata": { "name": "vs1", "namespace": "org-a" },
                  "spec": { "source": { "persistentVolumeClaimName": "pvc1" } },
                  "status": { "readyToUse": true, "restoreSize": "10Gi", "creationTime": "2026-08-01T10:00:00Z" } }
                """)!,
            _ => throw new ArgumentOutOfRangeException(nameof(sample)),
        };

        var result = KubeVirtSchemaValidator.Validate(obj);

        Assert.True(result.IsValid, result.ToString());
    }

    [Fact]
    public void Rejects_a_misspelt_field_with_its_path()
    {
        var clone = KubeVirtSamples.Clone("c1", "org-a", "s1", "fork");
        clone["spec"]!["targt"] = clone["spec"]!["target"]!.DeepClone();

        var result = KubeVirtSchemaValidator.Validate(clone);

        Assert.False(result.IsValid);
        var error = Assert.Single(result.Errors);
        Assert.Equal("/spec/targt", error.Path);
    }

    [Fact]
    public void Rejects_a_misspelt_field_deep_in_a_vm()
    {
        var vm = KubeVirtSamples.VirtualMachine("vm1", "org-a");
        vm["spec"]!["template"]!["spec"]!["domain"]!["devices"]!["interfaces"]![0]!["macAdress"] = "02:00:00:00:00:01";

        var result = KubeVirtSchemaValidator.Validate(vm);

        Assert.Contains(result.Errors, e => e.Path == "/spec/template/spec/domain/devices/interfaces/0/macAdress");
    }

    [Fact]
    public void Rejects_a_wrong_type_and_a_missing_required_field()
    {
        var snapshot = KubeVirtSamples.Snapshot("s1", "org-a", "vm1");
        snapshot["status"] = new JsonObject { ["readyToUse"] = "yes" };
        var dv = KubeVirtSamples.DataVolumeFromSnapshot("dv1", "org-b", "org-a", "vs1");
        dv["spec"]!["source"]!["snapshot"]!.AsObject().Remove("namespace");

        Assert.Contains(KubeVirtSchemaValidator.Validate(snapshot).Errors, e => e.Path == "/status/readyToUse");
        Assert.Contains(KubeVirtSchemaValidator.Validate(dv).Errors, e => e.Path == "/spec/source/snapshot");
    }

    [Fact]
    public void Embedded_snapshot_vm_copy_has_no_type_meta()
    {
        var vm = KubeVirtSamples.VirtualMachine("vm1", "org-a");
        var contentSpec = new JsonObject
        {
            ["source"] = new JsonObject { ["virtualMachine"] = new JsonObject { ["metadata"] = vm["metadata"]!.DeepClone(), ["spec"] = vm["spec"]!.DeepClone() } },
            ["virtualMachineSnapshotName"] = "s1",
            ["volumeBackups"] = new JsonArray(),
        };
        Assert.True(KubeVirtSchemaValidator.ValidateAgainst("v1beta1.VirtualMachineSnapshotContentSpec", contentSpec).IsValid);

        contentSpec["source"]!["virtualMachine"]!["apiVersion"] = "kubevirt.io/v1";

        Assert.Contains(KubeVirtSchemaValidator.ValidateAgainst("v1beta1.VirtualMachineSnapshotContentSpec", contentSpec).Errors,
            e => e.Path == "/source/virtualMachine/apiVersion");
    }

    [Fact]
    public void Unknown_kind_is_reported()
    {
        var result = KubeVirtSchemaValidator.Validate(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Pod" });

        Assert.False(result.IsValid);
    }

    private static JsonObject WithStatus(JsonObject obj, string status)
    {
        obj["status"] = JsonNode.Parse(status);
        return obj;
    }
}
