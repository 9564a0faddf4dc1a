using System.Text.Json.Nodes;

namespace Vers.LocalCluster.KubeVirt.Tests;

/// <summary>
/// Upstream-shaped example objects (as in the KubeVirt user guide and CDI docs). Storage uses the simulated cluster's
/// classes: the default <c>local-csi</c> (WaitForFirstConsumer, snapshots) unless a test names <c>local-nosnap</c>.
/// </summary>
internal static class KubeVirtSamples
{
    public const string DefaultClass = "local-csi";
    public const string NoSnapshotClass = "local-nosnap";
    public const string SnapshotClass = "local-csi-snapclass";
    public const string ImmediateBinding = "cdi.kubevirt.io/storage.bind.immediate.requested";
    public const string SelectedNode = "volume.kubernetes.io/selected-node";

    /// <summary>
    /// A VM with a root disk from a <c>dataVolumeTemplate</c> (blank, 5Gi, default class), a data disk on claim
    /// <c>&lt;name&gt;-data</c> (which the test creates, see <see cref="Claim"/>), and a cloud-init disk; one NIC with a fixed
    /// MAC and a firmware serial and UUID.
    /// </summary>
    public static JsonObject VirtualMachine(string name, string ns, string runStrategy = "Halted") => JsonNode.Parse($$"""
        {
          "apiVersion": "kubevirt.io/v1",
          "kind": "VirtualMachine",
          "metadata": { "name": "{{name}}", "namespace": "{{ns}}", "labels": { "app": "demo" } },
          "spec": {
            "runStrategy": "{{runStrategy}}",
            "dataVolumeTemplates": [
              {
                "metadata": { "name": "{{name}}-root" },
                "spec": {
                  "source": { "blank": {} },
                  "storage": { "accessModes": ["ReadWriteOnce"], "resources": { "requests": { "storage": "5Gi" } }, "volumeMode": "Filesystem" }
                }
              }
            ],
            "template": {
              "metadata": { "labels": { "kubevirt.io/vm": "{{name}}" } },
              "spec": {
                "domain": {
                  "firmware": { "uuid": "5d307ca9-b3ef-428c-8861-06e72d69f223", "serial": "e4686d2c-6e8d-4335-b8fd-81bee22f4814" },
                  "devices": {
                    "disks": [
                      { "name": "root", "disk": { "bus": "virtio" } },
                      { "name": "data", "disk": { "bus": "virtio" } },
                      { "name": "cloudinit", "disk": { "bus": "virtio" } }
                    ],
                    "interfaces": [ { "name": "default", "masquerade": {}, "macAddress": "02:00:00:aa:bb:cc" } ]
                  },
                  "resources": { "requests": { "memory": "1Gi", "cpu": 1 } }
                },
                "networks": [ { "name": "default", "pod": {} } ],
                "volumes": [
                  { "name": "root", "dataVolume": { "name": "{{name}}-root" } },
                  { "name": "data", "persistentVolumeClaim": { "claimName": "{{name}}-data" } },
                  { "name": "cloudinit", "cloudInitNoCloud": { "userData": "#cloud-config\n" } }
                ]
              }
            }
          }
        }
        """)!.AsObject();

    /// <summary>A VM with a single disk on a claim (no DataVolumes).</summary>
    public static JsonObject VirtualMachineOnClaim(string name, string ns, string claimName, string runStrategy = "Halted")
    {
        var vm = VirtualMachine(name, ns, runStrategy);
        var spec = vm["spec"]!.AsObject();
        spec.Remove("dataVolumeTemplates");
        spec["template"]!["spec"]!["domain"]!["devices"]!["disks"] = new JsonArray(Disk("disk"));
        spec["template"]!["spec"]!["volumes"] = new JsonArray(new JsonObject { ["name"] = "disk", ["persistentVolumeClaim"] = new JsonObject { ["claimName"] = claimName } });
        return vm;
    }

    /// <summary>Adds a disk and its volume to a VM's template.</summary>
    public static JsonObject WithVolume(this JsonObject vm, JsonObject volume)
    {
        var spec = vm["spec"]!["template"]!["spec"]!;
        spec["domain"]!["devices"]!["disks"]!.AsArray().Add(Disk((string)volume["name"]!));
        spec["volumes"]!.AsArray().Add(volume);
        return vm;
    }

    public static JsonObject ClaimVolume(string name, string claimName) =>
        new() { ["name"] = name, ["persistentVolumeClaim"] = new JsonObject { ["claimName"] = claimName } };

    public static JsonObject DataVolumeVolume(string name, string dataVolumeName) =>
        new() { ["name"] = name, ["dataVolume"] = new JsonObject { ["name"] = dataVolumeName } };

    public static JsonObject ContainerDiskVolume(string name) =>
        new() { ["name"] = name, ["containerDisk"] = new JsonObject { ["image"] = "quay.io/containerdisks/fedora:40" } };

    private static JsonObject Disk(string name) => new() { ["name"] = name, ["disk"] = new JsonObject { ["bus"] = "virtio" } };

    /// <summary>A PersistentVolumeClaim (ReadWriteOnce, Filesystem) of the default class unless <paramref name="storageClass"/> is given.</summary>
    public static JsonObject Claim(string name, string ns, string size = "1Gi", string? storageClass = DefaultClass)
    {
        var claim = JsonNode.Parse($$"""
            {
              "apiVersion": "v1",
              "kind": "PersistentVolumeClaim",
              "metadata": { "name": "{{name}}", "namespace": "{{ns}}" },
              "spec": { "accessModes": ["ReadWriteOnce"], "volumeMode": "Filesystem", "resources": { "requests": { "storage": "{{size}}" } } }
            }
            """)!.AsObject();
        if (storageClass is not null)
        {
            claim["spec"]!["storageClassName"] = storageClass;
        }

        return claim;
    }

    /// <summary>The claim with a node already chosen for it, as the scheduler records for a consumer on WaitForFirstConsumer storage.</summary>
    public static JsonObject OnNode(this JsonObject claim)
    {
        var metadata = claim["metadata"]!.AsObject();
        var annotations = metadata["annotations"] as JsonObject ?? [];
        annotations[SelectedNode] = "localcluster-node-1";
        metadata["annotations"] = annotations;
        return claim;
    }

    /// <summary>A claim restored from a VolumeSnapshot in its namespace.</summary>
    public static JsonObject ClaimFromSnapshot(string name, string ns, string snapshotName, string size)
    {
        var claim = Claim(name, ns, size);
        claim["spec"]!["dataSource"] = new JsonObject { ["apiGroup"] = "snapshot.storage.k8s.io", ["kind"] = "VolumeSnapshot", ["name"] = snapshotName };
        return claim;
    }

    /// <summary>A CSI VolumeSnapshot of a claim, of the named class or (none named) the driver's default class.</summary>
    public static JsonObject VolumeSnapshot(string name, string ns, string claimName, string? snapshotClass = null)
    {
        var snapshot = JsonNode.Parse($$"""
            {
              "apiVersion": "snapshot.storage.k8s.io/v1",
              "kind": "VolumeSnapshot",
              "metadata": { "name": "{{name}}", "namespace": "{{ns}}" },
              "spec": { "source": { "persistentVolumeClaimName": "{{claimName}}" } }
            }
            """)!.AsObject();
        if (snapshotClass is not null)
        {
            snapshot["spec"]!["volumeSnapshotClassName"] = snapshotClass;
        }

        return snapshot;
    }

    public static JsonObject Snapshot(string name, string ns, string vmName) => JsonNode.Parse($$"""
        {
          "apiVersion": "snapshot.kubevirt.io/v1beta1",
          "kind": "VirtualMachineSnapshot",
          "metadata": { "name": "{{name}}", "namespace": "{{ns}}" },
          "spec": {
            "source": { "apiGroup": "kubevirt.io", "kind": "VirtualMachine", "name": "{{vmName}}" },
            "failureDeadline": "15m",
            "deletionPolicy": "Delete"
          }
        }
        """)!.AsObject();

    public static JsonObject Clone(string name, string ns, string snapshotName, string? targetName)
    {
        var clone = JsonNode.Parse($$"""
            {
              "apiVersion": "clone.kubevirt.io/v1beta1",
              "kind": "VirtualMachineClone",
              "metadata": { "name": "{{name}}", "namespace": "{{ns}}" },
              "spec": { "source": { "apiGroup": "snapshot.kubevirt.io", "kind": "VirtualMachineSnapshot", "name": "{{snapshotName}}" } }
            }
            """)!.AsObject();
        if (targetName is not null)
        {
            clone["spec"]!["target"] = new JsonObject { ["apiGroup"] = "kubevirt.io", ["kind"] = "VirtualMachine", ["name"] = targetName };
        }

        return clone;
    }

    /// <summary>A clone of a VirtualMachine (KubeVirt snapshots it first).</summary>
    public static JsonObject CloneOfVm(string name, string ns, string vmName, string targetName)
    {
        var clone = Clone(name, ns, vmName, targetName);
        clone["spec"]!["source"] = new JsonObject { ["apiGroup"] = "kubevirt.io", ["kind"] = "VirtualMachine", ["name"] = vmName };
        return clone;
    }

    public static JsonObject Restore(string name, string ns, string snapshotName, string targetName) => JsonNode.Parse($$"""
        {
          "apiVersion": "snapshot.kubevirt.io/v1beta1",
          "kind": "VirtualMachineRestore",
          "metadata": { "name": "{{name}}", "namespace": "{{ns}}" },
          "spec": {
            "target": { "apiGroup": "kubevirt.io", "kind": "VirtualMachine", "name": "{{targetName}}" },
            "virtualMachineSnapshotName": "{{snapshotName}}"
          }
        }
        """)!.AsObject();

    /// <summary>A DataVolume cloned from a VolumeSnapshot (CDI <c>source.snapshot</c>), bound at once (CDI's immediate-binding annotation).</summary>
    public static JsonObject DataVolumeFromSnapshot(string name, string ns, string snapshotNs, string snapshotName, string? size = "5Gi")
    {
        var dv = JsonNode.Parse($$"""
            {
              "apiVersion": "cdi.kubevirt.io/v1beta1",
              "kind": "DataVolume",
              "metadata": { "name": "{{name}}", "namespace": "{{ns}}", "annotations": { "{{ImmediateBinding}}": "true" } },
              "spec": {
                "source": { "snapshot": { "namespace": "{{snapshotNs}}", "name": "{{snapshotName}}" } },
                "storage": { "accessModes": ["ReadWriteOnce"], "volumeMode": "Filesystem" }
              }
            }
            """)!.AsObject();
        if (size is not null)
        {
            dv["spec"]!["storage"]!["resources"] = new JsonObject { ["requests"] = new JsonObject { ["storage"] = size } };
        }

        return dv;
    }

    /// <summary>A blank DataVolume (CDI import source <c>blank</c>) of the default class; <paramref name="immediate"/> asks CDI to bind it without a consumer.</summary>
    public static JsonObject BlankDataVolume(string name, string ns, string size = "1Gi", bool immediate = false)
    {
        var dv = JsonNode.Parse($$"""
            { "apiVersion": "cdi.kubevirt.io/v1beta1", "kind": "DataVolume", "metadata": { "name": "{{name}}", "namespace": "{{ns}}" },
              "spec": { "source": { "blank": {} }, "storage": { "resources": { "requests": { "storage": "{{size}}" } } } } }
            """)!.AsObject();
        if (immediate)
        {
            dv["metadata"]!["annotations"] = new JsonObject { [ImmediateBinding] = "true" };
        }

        return dv;
    }
}
