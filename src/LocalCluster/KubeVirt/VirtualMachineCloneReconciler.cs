using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Vers.Operator.KubeVirt;
using Vers.Operator.Runtime;
using Vers.Operator.Runtime.Controllers;

namespace Vers.LocalCluster.KubeVirt;

/// <summary>
/// Plays KubeVirt's clone controller plus its inner restore (pkg/virt-controller/watch/clone,
/// pkg/storage/snapshot/restore.go): a VirtualMachineClone of a VirtualMachineSnapshot creates the target VM
/// (identity stripped, Halted) and one DataVolume per backed-up volume restored from its VolumeSnapshot.
/// A VirtualMachine source is first snapshotted into <c>tmp-snapshot-&lt;clone uid&gt;</c>.
/// </summary>
internal sealed class VirtualMachineCloneReconciler(SimulatorContext ctx) : IReconciler<GenericObject>
{
    public const string Kind = "VirtualMachineClone";
    private readonly ILogger _logger = ctx.Loggers.CreateLogger<VirtualMachineCloneReconciler>();

    public async Task<ReconcileResult> ReconcileAsync(GenericObject clone, CancellationToken ct)
    {
        clone = ctx.Newest(KubeVirtTypes.VirtualMachineClone, clone);
        var status = clone.Status;
        var phase = (string?)status?["phase"];
        var ns = clone.Metadata.NamespaceProperty;
        var uid = clone.Metadata.Uid;
        if (clone.Metadata.DeletionTimestamp is not null) return ReconcileResult.Done;
        if (phase is "Succeeded" or "Failed")
        {
            ctx.Forget(Kind, uid);
            return ReconcileResult.Done;
        }

        var sourceKind = (string?)clone.Spec?["source"]?["kind"];
        var sourceName = (string?)clone.Spec?["source"]?["name"] ?? "";
        var targetName = (string?)clone.Spec?["target"]?["name"];
        if (string.IsNullOrEmpty(targetName))
        {
            // What the mutating webhook does at admission; then carry on from the patched clone.
            var target = new JsonObject
            {
                ["apiGroup"] = "kubevirt.io",
                ["kind"] = "VirtualMachine",
                ["name"] = KubeVirtNames.GeneratedCloneTarget(sourceName, uid),
            };
            var patched = await ctx.Client.PatchAsync<GenericObject>(KubeVirtTypes.VirtualMachineClone, ns, clone.Metadata.Name,
                new JsonObject { ["spec"] = new JsonObject { ["target"] = target } }.ToJsonString(), ct).ConfigureAwait(false);
            ctx.Wrote(KubeVirtTypes.VirtualMachineClone, patched);
            clone = patched;
            targetName = (string)target["name"]!;
        }

        var decision = ctx.Decide(ctx.Clones, Kind, clone);
        if (decision.Fail)
            return await FailAsync(clone, "SnapshotContentInvalid", "injected failure: snapshot content is invalid", ct).ConfigureAwait(false);

        string snapshotName;
        if (sourceKind == "VirtualMachine")
        {
            if (ctx.Get(KubeVirtTypes.VirtualMachine, ns, sourceName) is null)
                return await PendingAsync(clone, $"Source doesnt exist: VirtualMachine {ns}/{sourceName}", ct).ConfigureAwait(false);
            snapshotName = KubeVirtNames.TemporarySnapshot(uid);
            if (ctx.Get(KubeVirtTypes.VirtualMachineSnapshot, ns, snapshotName) is null)
            {
                await ctx.CreateOrGetAsync(KubeVirtTypes.VirtualMachineSnapshot, new JsonObject
                {
                    ["apiVersion"] = KubeVirtTypes.VirtualMachineSnapshot.ApiVersion,
                    ["kind"] = KubeVirtTypes.VirtualMachineSnapshot.Kind,
                    ["metadata"] = new JsonObject
                    {
                        ["name"] = snapshotName,
                        ["namespace"] = ns,
                        ["ownerReferences"] = new JsonArray(SimulatorContext.OwnerReference(clone)),
                    },
                    ["spec"] = new JsonObject
                    {
                        ["source"] = new JsonObject { ["apiGroup"] = "kubevirt.io", ["kind"] = "VirtualMachine", ["name"] = sourceName },
                    },
                }, ct).ConfigureAwait(false);
            }
        }
        else
        {
            snapshotName = sourceName;
        }

        var snapshot = ctx.Get(KubeVirtTypes.VirtualMachineSnapshot, ns, snapshotName);
        var content = snapshot is null ? null
            : ctx.Get(KubeVirtTypes.VirtualMachineSnapshotContent, ns, (string?)snapshot.Status?["virtualMachineSnapshotContentName"] ?? "");
        if (snapshot is null || (bool?)snapshot.Status?["readyToUse"] != true || content is null)
        {
            if (sourceKind == "VirtualMachine")
            {
                await ctx.PatchStatusAsync(KubeVirtTypes.VirtualMachineClone, clone, new JsonObject
                {
                    ["phase"] = "SnapshotInProgress",
                    ["snapshotName"] = snapshotName,
                    ["conditions"] = new JsonArray(
                        ctx.Condition(status, "Progressing", true, "Still processing"),
                        ctx.Condition(status, "Ready", false, "Still processing")),
                }, ct).ConfigureAwait(false);
                return ReconcileResult.Done;
            }
            return await PendingAsync(clone, $"Source doesnt exist: VirtualMachineSnapshot {ns}/{snapshotName}", ct).ConfigureAwait(false);
        }

        var backups = (content.Spec?["volumeBackups"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        if (backups.FirstOrDefault(b => (string?)b["volumeSnapshotName"] is null) is { } unbacked)
        {
            return await FailAsync(clone, "SnapshotContentInvalid",
                $"volume {(string?)unbacked["volumeName"]} is not backed up in snapshot {snapshotName}", ct).ConfigureAwait(false);
        }

        if (ctx.Remaining(decision) is var left && left > TimeSpan.Zero)
        {
            await ctx.PatchStatusAsync(KubeVirtTypes.VirtualMachineClone, clone, new JsonObject
            {
                ["phase"] = "RestoreInProgress",
                ["conditions"] = new JsonArray(
                    ctx.Condition(status, "Progressing", true, "Still processing"),
                    ctx.Condition(status, "Ready", false, "Still processing")),
            }, ct).ConfigureAwait(false);
            return ReconcileResult.After(left);
        }

        var contentVm = content.Spec?["source"]?["virtualMachine"] as JsonObject ?? new JsonObject();
        var vm = ctx.Get(KubeVirtTypes.VirtualMachine, ns, targetName) ?? await ctx.CreateOrGetAsync(KubeVirtTypes.VirtualMachine,
            KubeVirtObjectBuilder.CloneTargetVm(contentVm, targetName, ns, uid, backups.Select(b => (string)b["volumeName"]!)), ct).ConfigureAwait(false);

        foreach (var backup in backups)
        {
            var dvName = KubeVirtNames.RestoredVolume(uid, (string)backup["volumeName"]!);
            if (ctx.Get(KubeVirtTypes.DataVolume, ns, dvName) is not null) continue;
            var dv = KubeVirtObjectBuilder.RestoreDataVolume(dvName, ns, ns, (string)backup["volumeSnapshotName"]!,
                backup["persistentVolumeClaim"]?["spec"] as JsonObject);
            // Like restore with volumeOwnershipPolicy Vm: the target VM owns its restored volumes.
            dv["metadata"]!["ownerReferences"] = new JsonArray(SimulatorContext.OwnerReference(vm));
            await ctx.CreateOrGetAsync(KubeVirtTypes.DataVolume, dv, ct).ConfigureAwait(false);
        }

        await ctx.PatchStatusAsync(KubeVirtTypes.VirtualMachineClone, clone, new JsonObject
        {
            ["phase"] = "Succeeded",
            ["targetName"] = targetName,
            ["creationTime"] = (string?)status?["creationTime"] ?? ctx.Now(),
            ["snapshotName"] = null,
            ["restoreName"] = null,
            ["conditions"] = new JsonArray(
                ctx.Condition(status, "Progressing", false, "Ready"),
                ctx.Condition(status, "Ready", true, "Ready")),
        }, ct).ConfigureAwait(false);
        _logger.LogInformation("Clone {Namespace}/{Name} created VM {Target} from snapshot {Snapshot}", ns, clone.Metadata.Name, targetName, snapshotName);
        return ReconcileResult.Done;
    }

    private async Task<ReconcileResult> PendingAsync(GenericObject clone, string reason, CancellationToken ct)
    {
        // Upstream leaves the phase empty while the source is missing and retries on source events.
        await ctx.PatchStatusAsync(KubeVirtTypes.VirtualMachineClone, clone, new JsonObject
        {
            ["conditions"] = new JsonArray(
                ctx.Condition(clone.Status, "Progressing", false, "Pending"),
                ctx.Condition(clone.Status, "Ready", false, reason)),
        }, ct).ConfigureAwait(false);
        return ReconcileResult.Done;
    }

    private async Task<ReconcileResult> FailAsync(GenericObject clone, string reason, string message, CancellationToken ct)
    {
        _logger.LogInformation("Clone {Namespace}/{Name} failed: {Reason}", clone.Metadata.NamespaceProperty, clone.Metadata.Name, reason);
        await ctx.PatchStatusAsync(KubeVirtTypes.VirtualMachineClone, clone, new JsonObject
        {
            ["phase"] = "Failed",
            ["conditions"] = new JsonArray(
                ctx.Condition(clone.Status, "Progressing", false, "Failed"),
                ctx.Condition(clone.Status, "Ready", false, reason, message)),
        }, ct).ConfigureAwait(false);
        return ReconcileResult.Done;
    }
}
