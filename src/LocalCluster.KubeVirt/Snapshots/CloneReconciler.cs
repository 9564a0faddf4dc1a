using System.Text.Json;
using System.Text.Json.Nodes;
using Vers.Api.KubeVirt;
using Vers.Kube;
using Vers.Kube.Controllers;

namespace Vers.LocalCluster.KubeVirt.Snapshots;

/// <summary>
/// Plays KubeVirt's VirtualMachineClone controller (pkg/virt-controller/watch/clone/clone.go <c>syncTargetVM</c>):
/// <list type="bullet">
/// <item>a missing source leaves the clone pending — phase unchanged, <c>Progressing=False "Pending"</c>, Ready False
/// "Source doesnt exist: …" and Normal event SourceDoesNotExist — and that includes a source snapshot deleted mid-clone;</item>
/// <item>a VirtualMachine source is first snapshotted into <c>tmp-snapshot-&lt;clone uid&gt;</c> (SnapshotInProgress) — but
/// only once its <c>status.volumeSnapshotStatuses</c> enable every claim-backed volume; until then the clone is pending
/// (VMVolumeSnapshotsInvalid); a snapshot source is used as it is, once ready;</item>
/// <item>the snapshot's content must back up every PVC- or DataVolume-backed volume of its VM, else Failed
/// (SnapshotContentInvalid "volume X is not backed up in snapshot Y") — the only terminal failure besides a deleted
/// temporary snapshot;</item>
/// <item>RestoreInProgress: <c>tmp-restore-&lt;clone uid&gt;</c> with the identity-stripping patches (every interface's MAC,
/// the SMBIOS serial and firmware UUID blanked; <c>vm-target.go generatePatches</c>) and <c>volumeNamePolicy</c> as its
/// <c>volumeRestorePolicy</c>; then CreatingTargetVM and Succeeded once the target VM exists (it is created Halted);</item>
/// <item>after Succeeded, the temporary restore (and snapshot) are deleted once every restored claim is Bound — on
/// WaitForFirstConsumer storage that is after the VM first starts; a clone whose target VM is deleted is deleted.</item>
/// </list>
/// <c>--sim-fault fail=virtualmachineclones</c> fails a new clone as invalid snapshot content would.
/// </summary>
internal sealed class CloneReconciler(SimulatorContext ctx) : IReconciler<GenericObject>
{
    public const string Kind = "VirtualMachineClone";
    private const string Component = "clone-controller";

    public async Task<ReconcileResult> ReconcileAsync(GenericObject clone, CancellationToken ct)
    {
        clone = ctx.Newest(KubeVirtTypes.VirtualMachineClone, clone);
        if (clone.Metadata.DeletionTimestamp is not null)
        {
            return ReconcileResult.Done;
        }

        var status = clone.Status;
        var phase = (string?)status?["phase"] ?? "";
        var ns = clone.Metadata.NamespaceProperty;
        var name = clone.Metadata.Name;
        var uid = clone.Metadata.Uid;
        var targetName = (string?)clone.Spec?["target"]?["name"] ?? "";
        if (phase == "Failed")
        {
            return ReconcileResult.Done;
        }

        if (phase == "Succeeded")
        {
            return await CleanUpAsync(clone, targetName, ct);
        }

        if (ctx.Fails(ctx.Clones, Kind, clone))
        {
            return await FailAsync(clone, "SnapshotContentInvalid", "simulated failure (--sim-fault fail=virtualmachineclones): the snapshot content is invalid", ct);
        }

        var sourceKind = (string?)clone.Spec?["source"]?["kind"];
        var sourceName = (string?)clone.Spec?["source"]?["name"] ?? "";
        string snapshotName;
        if (sourceKind == "VirtualMachine")
        {
            if (ctx.Get(KubeVirtTypes.VirtualMachine, ns, sourceName) is not { } sourceVm)
            {
                return await PendingAsync(clone, $"Source doesnt exist: VirtualMachine {ns}/{sourceName}", ct);
            }

            snapshotName = $"tmp-snapshot-{uid}";
            if (ctx.Get(KubeVirtTypes.VirtualMachineSnapshot, ns, snapshotName) is null)
            {
                if (phase is "RestoreInProgress" or "CreatingTargetVM")
                {
                    return await FailAsync(clone, "SnapshotDeleted", $"snapshot {snapshotName} does not exist anymore", ct);
                }

                // clone.go createSnapshotFromVm → validateVolumeSnapshotStatus: every claim-backed volume must be one the
                // VM's status says KubeVirt can snapshot; otherwise the clone waits (pending), it does not fail.
                if (NotSnapshottable(sourceVm) is { Count: > 0 } unsupported)
                {
                    return await PendingAsync(clone, string.Join("\n", unsupported), ct, "VMVolumeSnapshotsInvalid");
                }

                await ctx.CreateOrGetAsync(KubeVirtTypes.VirtualMachineSnapshot, TemporarySnapshot(clone, snapshotName, sourceVm), ct);
                await Record(clone, "SnapshotCreated", $"created snapshot {snapshotName} for clone {name}", ct);
            }
        }
        else
        {
            snapshotName = sourceName;
            if (ctx.Get(KubeVirtTypes.VirtualMachineSnapshot, ns, snapshotName) is null)
            {
                return await PendingAsync(clone, $"Source doesnt exist: VirtualMachineSnapshot {ns}/{snapshotName}", ct);
            }
        }

        var snapshot = ctx.Get(KubeVirtTypes.VirtualMachineSnapshot, ns, snapshotName)!;
        if (phase is "" or "SnapshotInProgress")
        {
            var content = (string?)snapshot.Status?["virtualMachineSnapshotContentName"] is { } contentName
                ? ctx.Get(KubeVirtTypes.VirtualMachineSnapshotContent, ns, contentName) : null;
            if ((bool?)snapshot.Status?["readyToUse"] != true || content is null)
            {
                await WriteAsync(clone, "SnapshotInProgress", snapshotName, null, ready: false, ct);
                return ReconcileResult.Done;
            }

            if (NotBackedUp(content, snapshotName) is { Count: > 0 } invalid)
            {
                // errors.Join: one line per volume.
                return await FailAsync(clone, "SnapshotContentInvalid", string.Join("\n", invalid), ct);
            }

            await Record(clone, "SnapshotReady", $"snapshot {snapshotName} for clone {name} is ready to use", ct);
            phase = "RestoreInProgress";
        }

        var left = ctx.Remaining(Kind, clone, "restore");
        if (left > TimeSpan.Zero)
        {
            await WriteAsync(clone, "RestoreInProgress", snapshotName, null, ready: false, ct);
            return ReconcileResult.After(left);
        }

        var restoreName = $"tmp-restore-{uid}";
        var restore = ctx.Get(KubeVirtTypes.VirtualMachineRestore, ns, restoreName);
        if (restore is null && phase == "RestoreInProgress")
        {
            var sourceVmCopy = ctx.Get(KubeVirtTypes.VirtualMachineSnapshotContent, ns, (string?)snapshot.Status?["virtualMachineSnapshotContentName"] ?? "")
                ?.Spec?["source"]?["virtualMachine"] as JsonObject;
            restore = await ctx.CreateOrGetAsync(KubeVirtTypes.VirtualMachineRestore, Restore(clone, restoreName, snapshotName, targetName, sourceVmCopy), ct);
            await Record(clone, "RestoreCreated", $"created restore {restoreName} for clone {name}", ct);
        }

        var restoreDone = restore is not null && ((bool?)restore.Status?["complete"] == true
            || (restore.Status?["conditions"] as JsonArray ?? []).OfType<JsonObject>().Any(c => (string?)c["type"] == "Failure" && (string?)c["status"] == "True"));
        if (phase == "RestoreInProgress" && !restoreDone)
        {
            await WriteAsync(clone, "RestoreInProgress", snapshotName, restoreName, ready: false, ct);
            return ReconcileResult.Done;
        }

        if (phase == "RestoreInProgress")
        {
            await Record(clone, "RestoreReady", $"restore {restoreName} for clone {name} is ready to use", ct);
        }

        if (ctx.Get(KubeVirtTypes.VirtualMachine, ns, targetName) is null)
        {
            await WriteAsync(clone, "CreatingTargetVM", snapshotName, restoreName, ready: false, ct);
            return ReconcileResult.Done;
        }

        await Record(clone, "TargetVMCreated", $"created target VM {targetName} for clone {name}", ct);
        await WriteAsync(clone, "Succeeded", snapshotName, restoreName, ready: true, ct);
        return await CleanUpAsync(ctx.Get(KubeVirtTypes.VirtualMachineClone, ns, name) ?? clone, targetName, ct);
    }

    /// <summary>clone.go <c>verifyPVCBound</c> and the target-deleted rule.</summary>
    private async Task<ReconcileResult> CleanUpAsync(GenericObject clone, string targetName, CancellationToken ct)
    {
        var ns = clone.Metadata.NamespaceProperty;
        if (ctx.Get(KubeVirtTypes.VirtualMachine, ns, targetName) is null && clone.Status?["targetName"] is not null)
        {
            await ctx.DeleteAsync(KubeVirtTypes.VirtualMachineClone, ns, clone.Metadata.Name, ct);
            return ReconcileResult.Done;
        }

        if ((string?)clone.Status?["restoreName"] is not { } restoreName)
        {
            return ReconcileResult.Done;
        }

        var restore = ctx.Get(KubeVirtTypes.VirtualMachineRestore, ns, restoreName);
        var claims = (restore?.Status?["restores"] as JsonArray ?? []).OfType<JsonObject>().Select(r => (string?)r["persistentVolumeClaim"]).OfType<string>();
        if (claims.Any(c => (string?)ctx.Get(KubeVirtTypes.PersistentVolumeClaim, ns, c)?.Status?["phase"] != "Bound"))
        {
            return ReconcileResult.Done;
        }

        await Record(clone, "PVCBound", $"all PVC for clone {clone.Metadata.Name} are bound", ct);
        if (restore is not null)
        {
            await ctx.DeleteAsync(KubeVirtTypes.VirtualMachineRestore, ns, restoreName, ct);
        }

        if ((string?)clone.Spec?["source"]?["kind"] == "VirtualMachine")
        {
            await ctx.DeleteAsync(KubeVirtTypes.VirtualMachineSnapshot, ns, $"tmp-snapshot-{clone.Metadata.Uid}", ct);
        }

        await ctx.PatchStatusAsync(KubeVirtTypes.VirtualMachineClone, clone, new JsonObject { ["snapshotName"] = null, ["restoreName"] = null }, ct);
        ctx.Forget(clone.Metadata.Uid);
        return ReconcileResult.Done;
    }

    /// <summary>clone.go <c>verifySnapshotContent</c>: every PVC/DataVolume volume of the snapshot's VM must have a backup.</summary>
    private static List<string> NotBackedUp(GenericObject content, string snapshotName)
    {
        var spec = content.Spec ?? [];
        var backedUp = (spec["volumeBackups"] as JsonArray ?? []).OfType<JsonObject>().Select(b => (string?)b["volumeName"]).ToHashSet();
        return [.. (spec["source"]?["virtualMachine"]?["spec"]?["template"]?["spec"]?["volumes"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(v => (v["persistentVolumeClaim"] is not null || v["dataVolume"] is not null) && !backedUp.Contains((string?)v["name"]))
            .Select(v => $"volume {(string?)v["name"]} is not backed up in snapshot {snapshotName}")];
    }

    private static JsonObject TemporarySnapshot(GenericObject clone, string name, GenericObject sourceVm) => new()
    {
        ["apiVersion"] = KubeVirtTypes.VirtualMachineSnapshot.ApiVersion,
        ["kind"] = KubeVirtTypes.VirtualMachineSnapshot.Kind,
        ["metadata"] = new JsonObject
        {
            ["name"] = name,
            ["namespace"] = clone.Metadata.NamespaceProperty,
            ["ownerReferences"] = new JsonArray(SimulatorContext.OwnerReference(clone)),
        },
        ["spec"] = new JsonObject
        {
            ["source"] = new JsonObject { ["apiGroup"] = "kubevirt.io", ["kind"] = "VirtualMachine", ["name"] = sourceVm.Metadata.Name },
        },
    };

    /// <summary>util.go <c>generateRestore</c> with vm-target.go <c>generatePatches</c>.</summary>
    private static JsonObject Restore(GenericObject clone, string name, string snapshotName, string targetName, JsonObject? sourceVm)
    {
        var spec = new JsonObject
        {
            ["target"] = new JsonObject { ["apiGroup"] = "kubevirt.io", ["kind"] = "VirtualMachine", ["name"] = targetName },
            ["virtualMachineSnapshotName"] = snapshotName,
            ["patches"] = new JsonArray([.. Patches(clone, sourceVm).Select(p => (JsonNode)p)]),
        };
        if ((string?)clone.Spec?["volumeNamePolicy"] is { } policy)
        {
            spec["volumeRestorePolicy"] = policy;
        }

        return new JsonObject
        {
            ["apiVersion"] = KubeVirtTypes.VirtualMachineRestore.ApiVersion,
            ["kind"] = KubeVirtTypes.VirtualMachineRestore.Kind,
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["namespace"] = clone.Metadata.NamespaceProperty,
                ["ownerReferences"] = new JsonArray(SimulatorContext.OwnerReference(clone)),
            },
            ["spec"] = spec,
        };
    }

    /// <summary>vm-target.go: MACs (unless given in newMacAddresses), SMBIOS serial and firmware UUID, then the clone's own patches.</summary>
    private static IEnumerable<string> Patches(GenericObject clone, JsonObject? sourceVm)
    {
        var domain = sourceVm?["spec"]?["template"]?["spec"]?["domain"];
        var newMacs = clone.Spec?["newMacAddresses"] as JsonObject;
        var interfaces = (domain?["devices"]?["interfaces"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        for (var i = 0; i < interfaces.Count; i++)
        {
            var mac = (string?)newMacs?[(string?)interfaces[i]["name"] ?? ""] ?? "";
            yield return Replace($"/spec/template/spec/domain/devices/interfaces/{i}/macAddress", mac);
        }

        if (domain?["firmware"] is JsonObject)
        {
            yield return Replace("/spec/template/spec/domain/firmware/serial", (string?)clone.Spec?["newSMBiosSerial"] ?? "");
            yield return Replace("/spec/template/spec/domain/firmware/uuid", "");
        }

        foreach (var patch in (clone.Spec?["patches"] as JsonArray ?? []).Select(p => (string?)p).OfType<string>())
        {
            yield return patch;
        }

        static string Replace(string path, string value) =>
            JsonSerializer.Serialize(new JsonObject { ["op"] = "replace", ["path"] = path, ["value"] = value });
    }

    /// <summary>clone.go <c>validateVolumeSnapshotStatus</c>: PVC and DataVolume volumes whose <c>status.volumeSnapshotStatuses</c> entry is disabled or missing.</summary>
    private static List<string> NotSnapshottable(GenericObject vm)
    {
        var statuses = (vm.Status?["volumeSnapshotStatuses"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(s => (string?)s["name"] is not null)
            .GroupBy(s => (string)s["name"]!)
            .ToDictionary(g => g.Key, g => (bool?)g.First()["enabled"] == true, StringComparer.Ordinal);
        return [.. (vm.Spec?["template"]?["spec"]?["volumes"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(v => v["persistentVolumeClaim"] is not null || v["dataVolume"] is not null)
            .Select(v => (string?)v["name"] ?? "")
            .Where(name => !statuses.TryGetValue(name, out var enabled) || !enabled)
            .Select(name => statuses.ContainsKey(name)
                ? $"Virtual Machine volume {name} does not support snapshots"
                : $"Virtual Machine volume {name} snapshot support unknown")];
    }

    /// <summary>clone.go <c>updateStatus</c> of a pending clone: phase unchanged, Progressing False "Pending", Ready False with the reason; the event once.</summary>
    private async Task<ReconcileResult> PendingAsync(GenericObject clone, string reason, CancellationToken ct, string eventReason = "SourceDoesNotExist")
    {
        var current = clone.Status;
        var written = await ctx.PatchStatusAsync(KubeVirtTypes.VirtualMachineClone, clone, new JsonObject
        {
            ["conditions"] = new JsonArray(
                ctx.Condition(current, "Progressing", false, "Pending"),
                ctx.Condition(current, "Ready", false, reason)),
        }, ct);
        if (!ReferenceEquals(written, clone))
        {
            await Record(clone, eventReason, reason, ct);
        }

        return ReconcileResult.Done;
    }

    /// <summary>
    /// clone.go <c>updateStatus</c> of a failing clone: phase Failed, Progressing False "Failed", and Ready False with the
    /// failure's text as its reason (<c>newReadyCondition(False, syncInfo.reason)</c>; conditions carry no message); the
    /// event is named for the failure (<paramref name="eventReason"/>) and says the same text.
    /// </summary>
    private async Task<ReconcileResult> FailAsync(GenericObject clone, string eventReason, string message, CancellationToken ct)
    {
        var current = clone.Status;
        await ctx.PatchStatusAsync(KubeVirtTypes.VirtualMachineClone, clone, new JsonObject
        {
            ["phase"] = "Failed",
            ["conditions"] = new JsonArray(
                ctx.Condition(current, "Progressing", false, "Failed"),
                ctx.Condition(current, "Ready", false, message)),
        }, ct);
        await Record(clone, eventReason, message, ct);
        ctx.Forget(clone.Metadata.Uid);
        return ReconcileResult.Done;
    }

    private async Task WriteAsync(GenericObject clone, string phase, string? snapshotName, string? restoreName, bool ready, CancellationToken ct)
    {
        var current = clone.Status;
        var status = new JsonObject
        {
            ["phase"] = phase,
            ["snapshotName"] = snapshotName,
            ["restoreName"] = restoreName,
            ["targetName"] = (string?)clone.Spec?["target"]?["name"],
            ["creationTime"] = (string?)current?["creationTime"] ?? ctx.Now(),
            ["conditions"] = ready
                ? new JsonArray(ctx.Condition(current, "Progressing", false, "Ready"), ctx.Condition(current, "Ready", true, "Ready"))
                : new JsonArray(ctx.Condition(current, "Progressing", true, "Still processing"), ctx.Condition(current, "Ready", false, "Still processing")),
        };
        await ctx.PatchStatusAsync(KubeVirtTypes.VirtualMachineClone, clone, status, ct);
    }

    /// <summary>clone.go <c>logAndRecord</c>: Normal events on the clone.</summary>
    private Task Record(GenericObject clone, string reason, string message, CancellationToken ct) =>
        ctx.Events(Component).NormalAsync(clone, reason, "Clone", message, ct);
}
