using System.Text.Json.Nodes;
using k8s.Models;
using Vers.Kube;

namespace Vers.Api.KubeVirt;

/// <summary>
/// Builds the KubeVirt/CDI objects a fork creates. Field names follow the KubeVirt v1.9 / CDI v1.66
/// schemas; tests validate every object against them.
/// </summary>
public static class KubeVirtObjects
{
    /// <summary>
    /// Same-namespace fork: clone a VM out of a VirtualMachineSnapshot. The target name is ours (deterministic, instead of
    /// the mutating webhook's random one), and so are the restored volumes' names: <c>volumeNamePolicy:
    /// PrefixTargetName</c> (KubeVirt ≥ 1.8) names them <see cref="KubeVirtNaming.PrefixTargetName"/>, so a rollback can
    /// delete them by name — KubeVirt does not make the VM own volumes restored from standalone DataVolumes.
    /// </summary>
    public static GenericObject Clone(string ns, string name, string sourceSnapshot, string targetVm, IDictionary<string, string> labels)
    {
        var clone = GenericObject.Create(KubeVirtTypes.VirtualMachineClone, ns, name);
        clone.Metadata.Labels = new Dictionary<string, string>(labels);
        clone.Fields["spec"] = new JsonObject
        {
            ["source"] = Ref("snapshot.kubevirt.io", "VirtualMachineSnapshot", sourceSnapshot),
            ["target"] = Ref("kubevirt.io", "VirtualMachine", targetVm),
            ["volumeNamePolicy"] = "PrefixTargetName",
        };
        return clone;
    }

    /// <summary>A commit: snapshot of <paramref name="vm"/>, owned by the Commit that records it.</summary>
    public static GenericObject Snapshot(
        string ns, string name, string vm, IDictionary<string, string> labels, V1OwnerReference? owner, TimeSpan failureDeadline)
    {
        var snapshot = GenericObject.Create(KubeVirtTypes.VirtualMachineSnapshot, ns, name);
        snapshot.Metadata.Labels = new Dictionary<string, string>(labels);
        snapshot.Metadata.OwnerReferences = owner is null ? null : [owner];
        snapshot.Fields["spec"] = new JsonObject
        {
            ["source"] = Ref("kubevirt.io", "VirtualMachine", vm),
            ["deletionPolicy"] = "Delete",
            ["failureDeadline"] = GoDuration(failureDeadline),
        };
        return snapshot;
    }

    /// <summary>
    /// Cross-namespace fork, one disk: a CDI DataVolume in the target namespace cloned from the source namespace's
    /// VolumeSnapshot (<c>spec.source.snapshot</c>; why: docs/architecture.md#why-it-is-built-this-way). No size: CDI's snapshot clone takes the VolumeSnapshot's
    /// <c>status.restoreSize</c> (<c>detectCloneSize</c> in pkg/controller/datavolume/snapshot-clone-controller.go),
    /// and refuses any explicit request smaller than it (<c>validateSnapshotClone</c>) — the source PVC's request,
    /// which the snapshot's restoreSize outgrows by the driver's rounding, would hang the clone. Class, access and
    /// volume mode stay the source's, so that CDI can restore the snapshot directly (smart clone).
    /// </summary>
    public static GenericObject DataVolume(
        string ns, string name, string sourceNamespace, JsonObject volumeBackup, IDictionary<string, string> labels)
    {
        var dv = GenericObject.Create(KubeVirtTypes.DataVolume, ns, name);
        dv.Metadata.Labels = new Dictionary<string, string>(labels);
        // Binds at once even on WaitForFirstConsumer storage, so the VM's first start is not what populates it.
        dv.Metadata.Annotations = new Dictionary<string, string> { ["cdi.kubevirt.io/storage.bind.immediate.requested"] = "true" };
        var pvcSpec = volumeBackup["persistentVolumeClaim"]?["spec"] as JsonObject;
        var storage = new JsonObject();
        CopyIfPresent(pvcSpec, storage, "accessModes");
        CopyIfPresent(pvcSpec, storage, "volumeMode");
        CopyIfPresent(pvcSpec, storage, "storageClassName");

        dv.Fields["spec"] = new JsonObject
        {
            ["source"] = new JsonObject
            {
                ["snapshot"] = new JsonObject
                {
                    ["namespace"] = sourceNamespace,
                    ["name"] = (string?)volumeBackup["volumeSnapshotName"] ?? throw new InvalidOperationException("volume backup without volumeSnapshotName"),
                },
            },
            ["storage"] = storage,
        };
        return dv;
    }

    /// <summary>
    /// The VM for a cross-namespace fork, from the VM copy inside the source VirtualMachineSnapshotContent:
    /// identity stripped as VirtualMachineClone would (MACs, firmware uuid and serial), disks rewired to
    /// the new DataVolumes, and running (a fork's VM is started, like Vers').
    /// </summary>
    public static GenericObject VirtualMachineFromContent(
        JsonObject sourceVm, string ns, string name, IReadOnlyDictionary<string, string> dataVolumeByVolume, IDictionary<string, string> labels)
    {
        var vm = GenericObject.Create(KubeVirtTypes.VirtualMachine, ns, name);
        var sourceLabels = sourceVm["metadata"]?["labels"] as JsonObject;
        var vmLabels = new Dictionary<string, string>();
        if (sourceLabels is not null)
        {
            foreach (var (key, value) in sourceLabels)
            {
                if (value is not null && !key.StartsWith("vers.sh/", StringComparison.Ordinal))
                {
                    vmLabels[key] = value.GetValue<string>();
                }
            }
        }

        foreach (var (key, value) in labels)
        {
            vmLabels[key] = value;
        }

        vm.Metadata.Labels = vmLabels;
        var spec = (sourceVm["spec"] as JsonObject)?.DeepClone() as JsonObject ?? new JsonObject();
        spec.Remove("running");
        spec["runStrategy"] = "Always";

        // Remove dataVolumeTemplates that the new DataVolumes replace.
        if (spec["dataVolumeTemplates"] is JsonArray templates)
        {
            var replaced = templates
                .OfType<JsonObject>()
                .Where(t => dataVolumeByVolume.Count > 0 && TemplateBacksRewiredVolume(t, spec, dataVolumeByVolume))
                .ToList();
            foreach (var template in replaced)
            {
                templates.Remove(template);
            }

            if (templates.Count == 0)
            {
                spec.Remove("dataVolumeTemplates");
            }
        }

        if (spec["template"]?["spec"] is JsonObject templateSpec)
        {
            if (templateSpec["volumes"] is JsonArray volumes)
            {
                foreach (var volume in volumes.OfType<JsonObject>())
                {
                    var volumeName = (string?)volume["name"];
                    if (volumeName is not null && dataVolumeByVolume.TryGetValue(volumeName, out var dvName))
                    {
                        volume.Remove("persistentVolumeClaim");
                        volume["dataVolume"] = new JsonObject { ["name"] = dvName };
                    }
                }
            }

            if (templateSpec["domain"] is JsonObject domain)
            {
                if (domain["devices"]?["interfaces"] is JsonArray interfaces)
                {
                    foreach (var nic in interfaces.OfType<JsonObject>())
                    {
                        nic.Remove("macAddress");
                    }
                }

                if (domain["firmware"] is JsonObject firmware)
                {
                    firmware.Remove("uuid");
                    firmware.Remove("serial");
                }
            }
        }

        // Instancetype/preference revisions are ControllerRevisions in the source namespace.
        (spec["instancetype"] as JsonObject)?.Remove("revisionName");
        (spec["preference"] as JsonObject)?.Remove("revisionName");
        vm.Fields["spec"] = spec;
        return vm;
    }

    public static V1OwnerReference OwnerReference(string apiVersion, string kind, V1ObjectMeta owner, bool controller = true) => new()
    {
        ApiVersion = apiVersion,
        Kind = kind,
        Name = owner.Name,
        Uid = owner.Uid,
        Controller = controller,
        BlockOwnerDeletion = true,
    };

    /// <summary>Formats like Go's time.Duration.String() for whole seconds ("15m0s"), which metav1.Duration parses.</summary>
    public static string GoDuration(TimeSpan d)
    {
        var total = (long)d.TotalSeconds;
        var hours = total / 3600;
        var minutes = total % 3600 / 60;
        var seconds = total % 60;
        return hours > 0 ? $"{hours}h{minutes}m{seconds}s" : minutes > 0 ? $"{minutes}m{seconds}s" : $"{seconds}s";
    }

    private static bool TemplateBacksRewiredVolume(JsonObject template, JsonObject spec, IReadOnlyDictionary<string, string> dataVolumeByVolume)
    {
        var templateName = (string?)template["metadata"]?["name"];
        if (templateName is null || spec["template"]?["spec"]?["volumes"] is not JsonArray volumes)
        {
            return false;
        }

        return volumes.OfType<JsonObject>().Any(v =>
            dataVolumeByVolume.ContainsKey((string?)v["name"] ?? "")
            && ((string?)v["dataVolume"]?["name"] == templateName || (string?)v["persistentVolumeClaim"]?["claimName"] == templateName));
    }

    private static JsonObject Ref(string apiGroup, string kind, string name) => new()
    {
        ["apiGroup"] = apiGroup,
        ["kind"] = kind,
        ["name"] = name,
    };

    private static void CopyIfPresent(JsonObject? from, JsonObject to, string property)
    {
        if (from?[property] is { } value)
        {
            to[property] = value.DeepClone();
        }
    }
}
