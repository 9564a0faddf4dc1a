using System.Text.Json.Nodes;
using Vers.LocalCluster.KubeVirt.Cdi;
using Vers.LocalCluster.KubeVirt.Storage;
using Vers.Api.KubeVirt;
using Vers.Kube;
using Vers.Kube.Controllers;

namespace Vers.LocalCluster.KubeVirt.Snapshots;

/// <summary>
/// Plays KubeVirt's VirtualMachineRestore controller for a restore into a new VM (pkg/storage/snapshot/restore.go), which
/// is what VirtualMachineClone runs inside:
/// <list type="bullet">
/// <item>the snapshot must exist, not be Failed, and be ready, with its content; otherwise the error goes into
/// Progressing/Ready with upstream's words and is retried for ever (Warning VirtualMachineRestoreError);</item>
/// <item>one claim per volume backup, restored from its VolumeSnapshot (<c>dataSource</c> and <c>dataSourceRef</c>), requesting
/// the larger of the backed-up claim's request and the snapshot's restoreSize (<c>CreateRestorePVCDef</c>), named by
/// <c>volumeRestorePolicy</c>: <c>restore-&lt;restore uid&gt;-&lt;volume&gt;</c> (RandomizeNames) or
/// <see cref="KubeVirtNaming.PrefixTargetName"/> (<c>restoreVolumeName</c>); a volume of a <c>dataVolumeTemplate</c> gets a
/// pre-populated DataVolume of that name, a standalone DataVolume volume becomes a claim volume;</item>
/// <item>claims only get the new VM as owner when the backed-up claim was owned by the source VM (volumeOwnershipPolicy Vm):
/// claims of standalone DataVolumes belong to nobody;</item>
/// <item>the new VM, Halted, from the snapshot's copy, with the restore's patches applied;</item>
/// <item>complete (<c>status.complete</c>, "Operation complete", Normal VirtualMachineRestoreComplete) once claims of
/// Immediate classes are bound — WaitForFirstConsumer claims are not waited for.</item>
/// </list>
/// An existing target that is not the snapshot's source is refused ("restore target already exists"). Restores onto an
/// existing VM (stopping it, target readiness policies) are not modelled.
/// </summary>
internal sealed class RestoreReconciler(SimulatorContext ctx) : IReconciler<GenericObject>
{
    private const string Component = "restore-controller";

    public async Task<ReconcileResult> ReconcileAsync(GenericObject restore, CancellationToken ct)
    {
        restore = ctx.Newest(KubeVirtTypes.VirtualMachineRestore, restore);
        if (await ctx.RemoveFinalizerIfDeletingAsync(KubeVirtTypes.VirtualMachineRestore, restore, SnapshotKeys.RestoreFinalizer, ct))
        {
            return ReconcileResult.Done;
        }

        var status = restore.Status;
        if ((bool?)status?["complete"] == true)
        {
            return ReconcileResult.Done;
        }

        restore = await ctx.AddFinalizerAsync(KubeVirtTypes.VirtualMachineRestore, restore, SnapshotKeys.RestoreFinalizer, ct);

        var ns = restore.Metadata.NamespaceProperty;
        var spec = restore.Spec ?? [];
        var targetName = (string?)spec["target"]?["name"] ?? "";
        var snapshotName = (string?)spec["virtualMachineSnapshotName"] ?? "";
        var snapshot = ctx.Get(KubeVirtTypes.VirtualMachineSnapshot, ns, snapshotName);
        var content = (string?)snapshot?.Status?["virtualMachineSnapshotContentName"] is { } contentName
            ? ctx.Get(KubeVirtTypes.VirtualMachineSnapshotContent, ns, contentName) : null;
        var target = ctx.Get(KubeVirtTypes.VirtualMachine, ns, targetName);
        var restoreId = $"{restore.Metadata.Name}-{restore.Metadata.Uid}";
        var problem = snapshot is null ? $"VMSnapshot {ns}/{snapshotName} does not exist"
            : (string?)snapshot.Status?["phase"] == "Failed" ? $"VMSnapshot {ns}/{snapshotName} failed and is invalid to use"
            : (bool?)snapshot.Status?["readyToUse"] != true ? $"VMSnapshot {ns}/{snapshotName} not ready"
            : content is null ? $"VMSnapshotContent {ns}/{(string?)snapshot.Status?["virtualMachineSnapshotContentName"]} does not exist"
            : (bool?)content.Status?["readyToUse"] != true ? $"VMSnapshotContent {ns}/{content.Metadata.Name} not ready"
            : target is not null && (target.Metadata.Annotations is { } targetAnnotations && targetAnnotations.TryGetValue(SnapshotKeys.LastRestoreUid, out var lastRestore) ? lastRestore : null) != restoreId
                && target.Metadata.Uid != (string?)snapshot.Status?["sourceUID"]
                ? "restore source and restore target are different but restore target already exists"
            : null;
        if (problem is not null)
        {
            await ErrorAsync(restore, problem, ct);
            return ReconcileResult.Done;
        }

        var sourceVm = content!.Spec?["source"]?["virtualMachine"] as JsonObject ?? [];
        var templates = (sourceVm["spec"]?["dataVolumeTemplates"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(t => (string?)t["metadata"]?["name"]).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var restores = new JsonArray();
        var renamed = new Dictionary<string, (string Name, bool Template)>(StringComparer.Ordinal);
        var templateRenames = new Dictionary<string, string>(StringComparer.Ordinal);
        var waiting = false;
        foreach (var backup in (content.Spec?["volumeBackups"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var volumeName = (string?)backup["volumeName"] ?? "";
            var vsName = (string?)backup["volumeSnapshotName"];
            var backupClaim = backup["persistentVolumeClaim"] as JsonObject ?? [];
            var claimName = (string?)backupClaim["metadata"]?["name"] ?? volumeName;
            var name = RestoredName(restore, volumeName, claimName);
            var isTemplate = templates.Contains(claimName);
            renamed[volumeName] = (name, isTemplate);
            if (isTemplate)
            {
                templateRenames[claimName] = name;
            }

            var claim = ctx.Get(KubeVirtTypes.PersistentVolumeClaim, ns, name)
                ?? await ctx.CreateOrGetAsync(KubeVirtTypes.PersistentVolumeClaim, RestoredClaim(restore, sourceVm, backupClaim, name, vsName, isTemplate), ct);
            if (isTemplate && ctx.Get(KubeVirtTypes.DataVolume, ns, name) is null)
            {
                await ctx.CreateOrGetAsync(KubeVirtTypes.DataVolume, PrePopulatedDataVolume(restore, sourceVm, claimName, name), ct);
            }

            var entry = new JsonObject { ["volumeName"] = volumeName, ["persistentVolumeClaim"] = name, ["volumeSnapshotName"] = vsName };
            if (isTemplate)
            {
                entry["dataVolumeName"] = name;
            }

            restores.Add(entry);
            var binding = (string?)SimulatedStorage.ClassOf(ctx, (string?)claim.Spec?["storageClassName"])?.Fields["volumeBindingMode"];
            waiting |= (string?)claim.Status?["phase"] != "Bound" && binding != "WaitForFirstConsumer";
        }

        if (waiting)
        {
            await WriteAsync(restore, restores, (true, "Creating new PVCs"), (false, "Waiting for new PVCs"), complete: false, ct);
            return ReconcileResult.Done;
        }

        target ??= await ctx.CreateOrGetAsync(KubeVirtTypes.VirtualMachine, NewVm(restore, sourceVm, targetName, renamed, templateRenames, restoreId), ct);
        await AdoptClaimsAsync(restore, content, target, renamed, (string?)snapshot!.Status?["sourceUID"], ct);
        await WriteAsync(restore, restores, (false, "Operation complete"), (true, "Operation complete"), complete: true, ct);
        await ctx.Events(Component).NormalAsync(restore, "VirtualMachineRestoreComplete", "Restore", $"Successfully completed VirtualMachineRestore {restore.Metadata.Name}", ct);
        return ReconcileResult.Done;
    }

    /// <summary>restore.go <c>restoreVolumeName</c>.</summary>
    private static string RestoredName(GenericObject restore, string volumeName, string claimName)
    {
        var spec = restore.Spec ?? [];
        var overridden = (spec["volumeRestoreOverrides"] as JsonArray ?? []).OfType<JsonObject>()
            .FirstOrDefault(o => (string?)o["volumeName"] == volumeName && (string?)o["restoreName"] is { Length: > 0 });
        if (overridden is not null)
        {
            return (string)overridden["restoreName"]!;
        }

        return (string?)spec["volumeRestorePolicy"] switch
        {
            "InPlace" => claimName,
            "PrefixTargetName" => KubeVirtNaming.PrefixTargetName((string?)spec["target"]?["name"] ?? "", volumeName),
            _ => $"restore-{restore.Metadata.Uid}-{volumeName}",
        };
    }

    /// <summary>restore.go <c>CreateRestorePVCDef</c>.</summary>
    private JsonObject RestoredClaim(GenericObject restore, JsonObject sourceVm, JsonObject backupClaim, string name, string? vsName, bool template)
    {
        var ns = restore.Metadata.NamespaceProperty;
        var backupSpec = backupClaim["spec"] as JsonObject ?? [];
        var request = SimulatedStorage.Bytes(backupSpec["resources"]?["requests"]?["storage"]) ?? 0;
        var restoreSize = vsName is null ? null : SimulatedStorage.Bytes(ctx.Get(KubeVirtTypes.VolumeSnapshot, ns, vsName)?.Status?["restoreSize"]);
        var size = Math.Max(request, restoreSize ?? 0);
        var labels = Copy(backupClaim["metadata"]?["labels"], key => key != "persistent-state-for");
        labels[SnapshotKeys.RestoreSourceVmName] = (string?)sourceVm["metadata"]?["name"];
        labels[SnapshotKeys.RestoreSourceVmNamespace] = (string?)sourceVm["metadata"]?["namespace"] ?? ns;
        var annotations = Copy(backupClaim["metadata"]?["annotations"], key =>
            key == CdiKeys.ContentType || !(key.StartsWith("pv.kubernetes.io", StringComparison.Ordinal) || key.StartsWith("volume.beta.kubernetes.io", StringComparison.Ordinal)
                || key.StartsWith("cdi.kubevirt.io", StringComparison.Ordinal) || key.StartsWith("volume.kubernetes.io", StringComparison.Ordinal)
                || key.StartsWith("k8s.io/CloneRequest", StringComparison.Ordinal) || key.StartsWith("k8s.io/CloneOf", StringComparison.Ordinal)));
        annotations[SnapshotKeys.RestoreNameAnnotation] = restore.Metadata.Name;
        annotations[SnapshotKeys.LastRestoreUid] = $"{restore.Metadata.Name}-{restore.Metadata.Uid}";
        if (template)
        {
            annotations[CdiKeys.PopulatedFor] = name;
        }

        var source = new JsonObject { ["apiGroup"] = "snapshot.storage.k8s.io", ["kind"] = "VolumeSnapshot", ["name"] = vsName };
        var spec = new JsonObject
        {
            ["accessModes"] = backupSpec["accessModes"]?.DeepClone(),
            ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["storage"] = SimulatedStorage.Format(size) } },
            ["volumeMode"] = (string?)backupSpec["volumeMode"] ?? "Filesystem",
            ["dataSource"] = source,
            ["dataSourceRef"] = source.DeepClone(),
        };
        if ((string?)backupSpec["storageClassName"] is { } className)
        {
            spec["storageClassName"] = className;
        }

        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "PersistentVolumeClaim",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["labels"] = labels, ["annotations"] = annotations },
            ["spec"] = spec,
        };
    }

    /// <summary>restore.go <c>createDataVolume</c>: the template's DataVolume over the restored claim, pre-populated (CDI adopts the claim).</summary>
    private static JsonObject PrePopulatedDataVolume(GenericObject restore, JsonObject sourceVm, string templateName, string name)
    {
        var template = (sourceVm["spec"]?["dataVolumeTemplates"] as JsonArray ?? []).OfType<JsonObject>()
            .First(t => (string?)t["metadata"]?["name"] == templateName);
        var annotations = Copy(template["metadata"]?["annotations"], _ => true);
        annotations[SnapshotKeys.RestoreNameAnnotation] = restore.Metadata.Name;
        annotations[CdiKeys.PrePopulated] = "true";
        return new JsonObject
        {
            ["apiVersion"] = KubeVirtTypes.DataVolume.ApiVersion,
            ["kind"] = "DataVolume",
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["namespace"] = restore.Metadata.NamespaceProperty,
                ["labels"] = Copy(template["metadata"]?["labels"], _ => true),
                ["annotations"] = annotations,
            },
            ["spec"] = template["spec"]?.DeepClone(),
        };
    }

    /// <summary>restore.go <c>generateRestoredVMSpec</c>: the snapshot's VM under the new name, Halted, volumes on the restored claims, patches applied.</summary>
    private static JsonObject NewVm(
        GenericObject restore, JsonObject sourceVm, string name, Dictionary<string, (string Name, bool Template)> renamed, Dictionary<string, string> templateRenames, string restoreId)
    {
        var metadata = new JsonObject { ["name"] = name, ["namespace"] = restore.Metadata.NamespaceProperty };
        if (sourceVm["metadata"]?["labels"] is JsonObject labels)
        {
            metadata["labels"] = labels.DeepClone();
        }

        var annotations = sourceVm["metadata"]?["annotations"]?.DeepClone() as JsonObject ?? [];
        annotations[SnapshotKeys.LastRestoreUid] = restoreId;
        metadata["annotations"] = annotations;
        var spec = sourceVm["spec"]?.DeepClone().AsObject() ?? [];
        if (spec.ContainsKey("running"))
        {
            spec["running"] = false;
        }
        else
        {
            spec["runStrategy"] = "Halted";
        }

        if (spec["template"]?["spec"]?["volumes"] is JsonArray allVolumes)
        {
            // restore.go generateRestoredVMSpec drops memory dumps.
            foreach (var dump in allVolumes.OfType<JsonObject>().Where(v => v["memoryDump"] is not null).ToList())
            {
                allVolumes.Remove(dump);
            }
        }

        foreach (var volume in (spec["template"]?["spec"]?["volumes"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if ((string?)volume["name"] is not { } volumeName || !renamed.TryGetValue(volumeName, out var restored))
            {
                continue;
            }

            if (restored.Template)
            {
                volume["dataVolume"] = new JsonObject { ["name"] = restored.Name };
                volume.Remove("persistentVolumeClaim");
            }
            else
            {
                // A standalone DataVolume volume becomes a claim volume on the restored claim.
                volume.Remove("dataVolume");
                volume["persistentVolumeClaim"] = new JsonObject { ["claimName"] = restored.Name };
            }
        }

        foreach (var template in (spec["dataVolumeTemplates"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (template["metadata"] is JsonObject templateMetadata && (string?)templateMetadata["name"] is { } templateName
                && templateRenames.TryGetValue(templateName, out var restoredName))
            {
                templateMetadata["name"] = restoredName;
            }
        }

        var vm = new JsonObject { ["apiVersion"] = KubeVirtTypes.VirtualMachine.ApiVersion, ["kind"] = "VirtualMachine", ["metadata"] = metadata, ["spec"] = spec };
        VmPatches.Apply(vm, (restore.Spec?["patches"] as JsonArray ?? []).Select(p => (string?)p).OfType<string>());
        DropEmptied(vm["spec"]?["template"]?["spec"]?["domain"]);
        return vm;
    }

    /// <summary>
    /// restore.go patches the VM and creates it from KubeVirt's Go types, whose <c>omitempty</c> leaves out the fields a
    /// clone's patches empty (vm-target.go: every interface's <c>macAddress</c>, the firmware <c>serial</c> and <c>uuid</c>):
    /// on the server they are absent, not "".
    /// </summary>
    private static void DropEmptied(JsonNode? domain)
    {
        foreach (var iface in (domain?["devices"]?["interfaces"] as JsonArray ?? []).OfType<JsonObject>())
        {
            RemoveIfEmpty(iface, "macAddress");
        }

        if (domain?["firmware"] is JsonObject firmware)
        {
            RemoveIfEmpty(firmware, "serial");
            RemoveIfEmpty(firmware, "uuid");
        }

        static void RemoveIfEmpty(JsonObject obj, string key)
        {
            if (obj[key] is JsonValue value && value.TryGetValue<string>(out var text) && text.Length == 0)
            {
                obj.Remove(key);
            }
        }
    }

    /// <summary>restore.go <c>updateRestorePVCOwnership</c>: only claims whose backed-up claim the source VM owned get the new VM as owner.</summary>
    private async Task AdoptClaimsAsync(GenericObject restore, GenericObject content, GenericObject vm, Dictionary<string, (string Name, bool Template)> renamed, string? sourceUid, CancellationToken ct)
    {
        foreach (var backup in (content.Spec?["volumeBackups"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var ownedBySource = (backup["persistentVolumeClaim"]?["metadata"]?["ownerReferences"] as JsonArray ?? []).OfType<JsonObject>()
                .Any(o => (string?)o["kind"] == "VirtualMachine" && (string?)o["uid"] == sourceUid);
            if (!ownedBySource || !renamed.TryGetValue((string?)backup["volumeName"] ?? "", out var restored) || restored.Template)
            {
                continue;
            }

            var claim = ctx.Get(KubeVirtTypes.PersistentVolumeClaim, restore.Metadata.NamespaceProperty, restored.Name);
            if (claim is null || claim.Metadata.OwnerReferences?.Any(o => o.Uid == vm.Metadata.Uid) == true)
            {
                continue;
            }

            await ctx.PatchAsync(KubeVirtTypes.PersistentVolumeClaim, claim, new JsonObject
            {
                ["metadata"] = new JsonObject { ["ownerReferences"] = new JsonArray(SimulatorContext.OwnerReference(vm)) },
            }, ct);
        }
    }

    private async Task ErrorAsync(GenericObject restore, string message, CancellationToken ct)
    {
        if (await WriteAsync(restore, null, (false, message), (false, message), complete: false, ct))
        {
            await ctx.Events(Component).WarningAsync(restore, "VirtualMachineRestoreError", "Restore", $"VirtualMachineRestore encountered error {message}", ct);
        }
    }

    private async Task<bool> WriteAsync(GenericObject restore, JsonArray? restores, (bool Status, string Reason) progressing, (bool Status, string Reason) ready, bool complete, CancellationToken ct)
    {
        var current = restore.Status;
        var status = new JsonObject
        {
            ["complete"] = complete,
            ["conditions"] = new JsonArray(
                ctx.Condition(current, "Progressing", progressing.Status, progressing.Reason),
                ctx.Condition(current, "Ready", ready.Status, ready.Reason)),
        };
        if (restores is not null)
        {
            status["restores"] = restores;
        }

        if (complete)
        {
            status["restoreTime"] = ctx.Now();
        }

        var written = await ctx.PatchStatusAsync(KubeVirtTypes.VirtualMachineRestore, restore, status, ct);
        return !ReferenceEquals(written, restore);
    }

    private static JsonObject Copy(JsonNode? map, Func<string, bool> keep)
    {
        var copy = new JsonObject();
        foreach (var (key, value) in map as JsonObject ?? [])
        {
            if (keep(key))
            {
                copy[key] = value?.DeepClone();
            }
        }

        return copy;
    }
}
