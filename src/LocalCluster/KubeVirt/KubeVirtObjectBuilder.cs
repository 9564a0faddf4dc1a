using System.Text.Json.Nodes;

namespace Vers.LocalCluster.KubeVirt;

/// <summary>Size, class and modes of the PVC behind one VM volume.</summary>
public sealed record VolumeStorage(string Size, string? StorageClassName, IReadOnlyList<string> AccessModes, string VolumeMode)
{
    public const string DefaultSize = "10Gi";

    public static VolumeStorage Default { get; } = new(DefaultSize, null, ["ReadWriteOnce"], "Filesystem");

    public JsonObject ToPvcSpec()
    {
        var spec = new JsonObject
        {
            ["accessModes"] = new JsonArray([.. AccessModes.Select(m => (JsonNode)m)]),
            ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["storage"] = Size } },
            ["volumeMode"] = VolumeMode,
        };
        if (StorageClassName is not null) spec["storageClassName"] = StorageClassName;
        return spec;
    }
}

/// <summary>
/// Pure builders for the objects KubeVirt's snapshot and clone controllers derive from a VM. Everything is
/// plain JSON (<see cref="JsonObject"/>) in the upstream shapes; inputs are never mutated.
/// </summary>
public static class KubeVirtObjectBuilder
{
    public const string KubeVirtApiVersion = "kubevirt.io/v1";
    public const string DataVolumeApiVersion = "cdi.kubevirt.io/v1beta1";

    /// <summary>The VM copy a snapshot content keeps: <c>v1beta1.VirtualMachine</c> has only metadata, spec and status.</summary>
    public static JsonObject SnapshotVmCopy(JsonObject vm)
    {
        var source = vm["metadata"]?.AsObject();
        var metadata = new JsonObject { ["name"] = source?["name"]?.DeepClone(), ["namespace"] = source?["namespace"]?.DeepClone() };
        if (source?["labels"] is JsonObject labels) metadata["labels"] = labels.DeepClone();
        if (source?["annotations"] is JsonObject annotations) metadata["annotations"] = annotations.DeepClone();
        var copy = new JsonObject { ["metadata"] = metadata, ["spec"] = vm["spec"]?.DeepClone() ?? new JsonObject() };
        if (vm["status"] is JsonObject status) copy["status"] = status.DeepClone();
        return copy;
    }

    /// <summary>VM volumes backed by a PVC (directly or through a DataVolume): the ones a snapshot backs up.</summary>
    public static IEnumerable<(string VolumeName, string ClaimName, bool IsDataVolume)> SnapshottableVolumes(JsonObject vm)
    {
        if (vm["spec"]?["template"]?["spec"]?["volumes"] is not JsonArray volumes) yield break;
        foreach (var volume in volumes.OfType<JsonObject>())
        {
            var name = (string?)volume["name"];
            if (name is null) continue;
            if ((string?)volume["dataVolume"]?["name"] is { } dv) yield return (name, dv, true);
            else if ((string?)volume["persistentVolumeClaim"]?["claimName"] is { } claim) yield return (name, claim, false);
        }
    }

    /// <summary>
    /// PVC size, class and modes for a claim: from the VM's <c>dataVolumeTemplates</c>, else from a DataVolume
    /// object of that name, else <see cref="VolumeStorage.Default"/>.
    /// </summary>
    public static VolumeStorage StorageFor(JsonObject vm, string claimName, Func<string, JsonObject?> findDataVolume)
    {
        var template = (vm["spec"]?["dataVolumeTemplates"] as JsonArray)?.OfType<JsonObject>()
            .FirstOrDefault(t => (string?)t["metadata"]?["name"] == claimName);
        var dvSpec = template?["spec"] as JsonObject ?? findDataVolume(claimName)?["spec"] as JsonObject;
        var storage = dvSpec?["storage"] as JsonObject ?? dvSpec?["pvc"] as JsonObject;
        if (storage is null) return VolumeStorage.Default;
        var accessModes = (storage["accessModes"] as JsonArray)?.Select(m => (string)m!).ToList();
        return new VolumeStorage(
            Size: (string?)storage["resources"]?["requests"]?["storage"] ?? VolumeStorage.DefaultSize,
            StorageClassName: (string?)storage["storageClassName"],
            AccessModes: accessModes is { Count: > 0 } ? accessModes : VolumeStorage.Default.AccessModes,
            VolumeMode: (string?)storage["volumeMode"] ?? VolumeStorage.Default.VolumeMode);
    }

    /// <summary><c>VirtualMachineSnapshotContent.spec</c> for a snapshot of <paramref name="vm"/>.</summary>
    public static JsonObject SnapshotContentSpec(string snapshotName, string snapshotUid, JsonObject vm, Func<string, JsonObject?> findDataVolume)
    {
        var backups = new JsonArray();
        foreach (var (volumeName, claimName, _) in SnapshottableVolumes(vm))
        {
            backups.Add(new JsonObject
            {
                ["volumeName"] = volumeName,
                ["persistentVolumeClaim"] = new JsonObject
                {
                    ["metadata"] = new JsonObject { ["name"] = claimName },
                    ["spec"] = StorageFor(vm, claimName, findDataVolume).ToPvcSpec(),
                },
                ["volumeSnapshotName"] = KubeVirtNames.VolumeSnapshot(snapshotUid, volumeName),
            });
        }
        return new JsonObject
        {
            ["source"] = new JsonObject { ["virtualMachine"] = SnapshotVmCopy(vm) },
            ["virtualMachineSnapshotName"] = snapshotName,
            ["volumeBackups"] = backups,
        };
    }

    /// <summary>
    /// The clone's target VM, built from a snapshot content's VM copy the way clone + restore do it: identity
    /// stripped (MACs, firmware UUID and serial), created Halted, and every backed-up volume rewired to its
    /// restored DataVolume/PVC <c>restore-&lt;clone uid&gt;-&lt;volume&gt;</c>.
    /// </summary>
    public static JsonObject CloneTargetVm(JsonObject contentVm, string targetName, string ns, string cloneUid, IEnumerable<string> backedUpVolumes)
    {
        var backed = backedUpVolumes.ToHashSet(StringComparer.Ordinal);
        var sourceMeta = contentVm["metadata"] as JsonObject;
        var metadata = new JsonObject { ["name"] = targetName, ["namespace"] = ns };
        if (sourceMeta?["labels"] is JsonObject labels) metadata["labels"] = labels.DeepClone();
        if (sourceMeta?["annotations"] is JsonObject annotations)
        {
            var kept = annotations.DeepClone().AsObject();
            kept.Remove("restore.kubevirt.io/lastRestoreUID");
            if (kept.Count > 0) metadata["annotations"] = kept;
        }

        var spec = contentVm["spec"]?.DeepClone().AsObject() ?? new JsonObject();
        spec.Remove("running");
        spec["runStrategy"] = "Halted";
        // The ControllerRevisions a snapshot points at belong to the source; let the target pick fresh ones.
        (spec["instancetype"] as JsonObject)?.Remove("revisionName");
        (spec["preference"] as JsonObject)?.Remove("revisionName");

        var domain = spec["template"]?["spec"]?["domain"] as JsonObject;
        if (domain?["devices"]?["interfaces"] is JsonArray interfaces)
        {
            foreach (var nic in interfaces.OfType<JsonObject>()) nic.Remove("macAddress");
        }
        if (domain?["firmware"] is JsonObject firmware)
        {
            firmware.Remove("uuid");
            firmware.Remove("serial");
        }

        var replacedTemplates = new HashSet<string>(StringComparer.Ordinal);
        if (spec["template"]?["spec"]?["volumes"] is JsonArray volumes)
        {
            foreach (var volume in volumes.OfType<JsonObject>())
            {
                var name = (string?)volume["name"];
                if (name is null || !backed.Contains(name)) continue;
                var restored = KubeVirtNames.RestoredVolume(cloneUid, name);
                if (volume["dataVolume"] is JsonObject dv)
                {
                    if ((string?)dv["name"] is { } old) replacedTemplates.Add(old);
                    dv["name"] = restored;
                }
                else if (volume["persistentVolumeClaim"] is JsonObject pvc)
                {
                    pvc["claimName"] = restored;
                }
            }
        }
        if (spec["dataVolumeTemplates"] is JsonArray templates)
        {
            foreach (var template in templates.OfType<JsonObject>().Where(t => replacedTemplates.Contains((string?)t["metadata"]?["name"] ?? "")).ToList())
                templates.Remove(template);
            if (templates.Count == 0) spec.Remove("dataVolumeTemplates");
        }

        return new JsonObject
        {
            ["apiVersion"] = KubeVirtApiVersion,
            ["kind"] = "VirtualMachine",
            ["metadata"] = metadata,
            ["spec"] = spec,
        };
    }

    /// <summary>A CDI DataVolume that restores one VolumeSnapshot (<c>spec.source.snapshot</c>) with the backed-up PVC's storage.</summary>
    public static JsonObject RestoreDataVolume(string name, string ns, string snapshotNamespace, string volumeSnapshotName, JsonObject? backupPvcSpec)
    {
        var storage = new JsonObject();
        if (backupPvcSpec is not null)
        {
            foreach (var field in new[] { "accessModes", "resources", "storageClassName", "volumeMode" })
            {
                if (backupPvcSpec[field] is { } value) storage[field] = value.DeepClone();
            }
        }
        return new JsonObject
        {
            ["apiVersion"] = DataVolumeApiVersion,
            ["kind"] = "DataVolume",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
            ["spec"] = new JsonObject
            {
                ["source"] = new JsonObject { ["snapshot"] = new JsonObject { ["namespace"] = snapshotNamespace, ["name"] = volumeSnapshotName } },
                ["storage"] = storage,
            },
        };
    }
}
