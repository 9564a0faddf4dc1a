using System.Text.Json.Nodes;

namespace Vers.LocalCluster.Tests.KubeVirt;

/// <summary>Upstream-shaped example objects (as in the KubeVirt user guide and CDI docs).</summary>
internal static class KubeVirtSamples
{
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
                  "storage": {
                    "accessModes": ["ReadWriteOnce"],
                    "resources": { "requests": { "storage": "5Gi" } },
                    "storageClassName": "local-path",
                    "volumeMode": "Filesystem"
                  }
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
            clone["spec"]!["target"] = new JsonObject { ["apiGroup"] = "kubevirt.io", ["kind"] = "VirtualMachine", ["name"] = targetName };
        return clone;
    }

    public static JsonObject DataVolumeFromSnapshot(string name, string ns, string snapshotNs, string snapshotName) => JsonNode.Parse($$"""
        {
          "apiVersion": "cdi.kubevirt.io/v1beta1",
          "kind": "DataVolume",
          "metadata": { "name": "{{name}}", "namespace": "{{ns}}", "annotations": { "cdi.kubevirt.io/storage.bind.immediate.requested": "true" } },
          "spec": {
            "source": { "snapshot": { "namespace": "{{snapshotNs}}", "name": "{{snapshotName}}" } },
            "storage": { "accessModes": ["ReadWriteOnce"], "resources": { "requests": { "storage": "5Gi" } }, "volumeMode": "Filesystem" }
          }
        }
        """)!.AsObject();
}
