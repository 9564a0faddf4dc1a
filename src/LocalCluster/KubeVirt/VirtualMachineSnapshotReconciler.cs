using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Vers.Operator.KubeVirt;
using Vers.Operator.Runtime;
using Vers.Operator.Runtime.Controllers;

namespace Vers.LocalCluster.KubeVirt;

/// <summary>
/// Plays KubeVirt's snapshot controller (pkg/storage/snapshot): VirtualMachineSnapshot → content with a copy of
/// the VM and one CSI VolumeSnapshot per PVC-backed volume → Succeeded/readyToUse. Storage is instant, so
/// a snapshot completes in one pass unless a delay or failure is injected: each step builds on the object the
/// previous write returned, in the order upstream makes them visible (VolumeSnapshots ready, then the content,
/// then the snapshot).
/// </summary>
internal sealed class VirtualMachineSnapshotReconciler(SimulatorContext ctx) : IReconciler<GenericObject>
{
    public const string Kind = "VirtualMachineSnapshot";
    private readonly ILogger _logger = ctx.Loggers.CreateLogger<VirtualMachineSnapshotReconciler>();

    public async Task<ReconcileResult> ReconcileAsync(GenericObject snapshot, CancellationToken ct)
    {
        snapshot = ctx.Newest(KubeVirtTypes.VirtualMachineSnapshot, snapshot);
        var status = snapshot.Status;
        var phase = (string?)status?["phase"];
        var ns = snapshot.Metadata.NamespaceProperty;
        var uid = snapshot.Metadata.Uid;
        if (snapshot.Metadata.DeletionTimestamp is not null) return ReconcileResult.Done;
        if (phase == "Failed" || (phase == "Succeeded" && (bool?)status?["readyToUse"] == true))
        {
            ctx.Forget(Kind, uid);
            return ReconcileResult.Done;
        }

        var decision = ctx.Decide(ctx.Snapshots, Kind, snapshot);
        if (decision.Fail)
        {
            _logger.LogInformation("Failing snapshot {Namespace}/{Name} (injected)", ns, snapshot.Metadata.Name);
            await ctx.PatchStatusAsync(KubeVirtTypes.VirtualMachineSnapshot, snapshot, new JsonObject
            {
                ["phase"] = "Failed",
                ["readyToUse"] = false,
                ["conditions"] = new JsonArray(
                    ctx.Condition(status, "Progressing", false, "Operation failed"),
                    ctx.Condition(status, "Ready", false, "Not ready"),
                    ctx.Condition(status, "Failure", true, "snapshot deadline exceeded")),
            }, ct).ConfigureAwait(false);
            return ReconcileResult.Done;
        }

        var vmName = (string?)snapshot.Spec?["source"]?["name"] ?? "";
        var vm = ctx.Get(KubeVirtTypes.VirtualMachine, ns, vmName);
        if (vm is null || vm.Metadata.DeletionTimestamp is not null)
        {
            // Re-evaluated when the VM appears (the controller watches VMs).
            await ctx.PatchStatusAsync(KubeVirtTypes.VirtualMachineSnapshot, snapshot, new JsonObject
            {
                ["phase"] = "InProgress",
                ["readyToUse"] = false,
                ["conditions"] = new JsonArray(
                    ctx.Condition(status, "Progressing", false, "Source does not exist"),
                    ctx.Condition(status, "Ready", false, "Not ready")),
            }, ct).ConfigureAwait(false);
            return ReconcileResult.Done;
        }

        if (ctx.Remaining(decision) is var left && left > TimeSpan.Zero)
        {
            await ctx.PatchStatusAsync(KubeVirtTypes.VirtualMachineSnapshot, snapshot, new JsonObject
            {
                ["phase"] = "InProgress",
                ["readyToUse"] = false,
                ["sourceUID"] = vm.Metadata.Uid,
                ["conditions"] = new JsonArray(
                    ctx.Condition(status, "Progressing", true, "Source locked and operation in progress"),
                    ctx.Condition(status, "Ready", false, "Not ready")),
            }, ct).ConfigureAwait(false);
            return ReconcileResult.After(left);
        }

        var contentName = KubeVirtNames.SnapshotContent(uid);
        // The VM is serialized only to create the content: a requeue finds the content in the cache.
        var content = ctx.Get(KubeVirtTypes.VirtualMachineSnapshotContent, ns, contentName) ?? await ctx.CreateOrGetAsync(KubeVirtTypes.VirtualMachineSnapshotContent, new JsonObject
        {
            ["apiVersion"] = KubeVirtTypes.VirtualMachineSnapshotContent.ApiVersion,
            ["kind"] = KubeVirtTypes.VirtualMachineSnapshotContent.Kind,
            ["metadata"] = new JsonObject
            {
                ["name"] = contentName,
                ["namespace"] = ns,
                ["ownerReferences"] = new JsonArray(SimulatorContext.OwnerReference(snapshot)),
            },
            ["spec"] = KubeVirtObjectBuilder.SnapshotContentSpec(snapshot.Metadata.Name, uid, SimulatorContext.ToJson(vm), DataVolumeJson(ns)),
        }, ct).ConfigureAwait(false);

        var now = ctx.Now();
        var volumeStatuses = new JsonArray();
        var included = new JsonArray();
        var backedUp = ((content.Spec?["volumeBackups"] as JsonArray)?.OfType<JsonObject>() ?? [])
            .Select(backup => (Backup: backup, VolumeSnapshot: (string?)backup["volumeSnapshotName"]))
            .Where(b => b.VolumeSnapshot is not null)
            .ToList();
        // Volumes are independent of each other (upstream creates their VolumeSnapshots in one loop): take them together.
        await Task.WhenAll(backedUp.Select(b => EnsureVolumeSnapshotAsync(content, b.Backup, b.VolumeSnapshot!, vm, ct))).ConfigureAwait(false);
        foreach (var (backup, vsName) in backedUp)
        {
            included.Add((string?)backup["volumeName"]);
            volumeStatuses.Add(new JsonObject { ["volumeSnapshotName"] = vsName, ["creationTime"] = now, ["readyToUse"] = true });
        }

        if ((bool?)content.Status?["readyToUse"] != true)
        {
            content = await ctx.PatchStatusAsync(KubeVirtTypes.VirtualMachineSnapshotContent, content, new JsonObject
            {
                ["creationTime"] = now,
                ["readyToUse"] = true,
                ["volumeSnapshotStatus"] = volumeStatuses,
            }, ct).ConfigureAwait(false);
        }

        var includedNames = included.Select(n => (string?)n).ToHashSet();
        var excluded = new JsonArray([.. ((vm.Spec?["template"]?["spec"]?["volumes"] as JsonArray)?.OfType<JsonObject>() ?? [])
            .Select(v => (string?)v["name"]).Where(n => n is not null && !includedNames.Contains(n)).Select(n => (JsonNode)n!)]);
        var succeeded = new JsonObject
        {
            ["phase"] = "Succeeded",
            ["readyToUse"] = true,
            ["creationTime"] = (string?)status?["creationTime"] ?? now,
            ["sourceUID"] = vm.Metadata.Uid,
            ["virtualMachineSnapshotContentName"] = contentName,
            ["conditions"] = new JsonArray(
                ctx.Condition(status, "Progressing", false, "Operation complete"),
                ctx.Condition(status, "Ready", true, "Ready")),
            ["snapshotVolumes"] = new JsonObject { ["includedVolumes"] = included, ["excludedVolumes"] = excluded },
        };
        // Online when the VM runs or is meant to run: the cached status may trail the start by a moment,
        // and a snapshot of a VM that is starting is still taken of a running guest.
        if ((string?)vm.Status?["printableStatus"] is "Running" or "Starting"
            || (string?)vm.Spec?["runStrategy"] is "Always" or "RerunOnFailure"
            || vm.Spec?["running"]?.GetValue<bool>() == true)
        {
            succeeded["indications"] = new JsonArray("Online", "NoGuestAgent");
            succeeded["sourceIndications"] = new JsonArray(
                new JsonObject { ["indication"] = "Online", ["message"] = "Snapshot was taken while the source was running" },
                new JsonObject { ["indication"] = "NoGuestAgent", ["message"] = "No guest agent: filesystems were not frozen, the snapshot is crash-consistent" });
        }
        await ctx.PatchStatusAsync(KubeVirtTypes.VirtualMachineSnapshot, snapshot, succeeded, ct).ConfigureAwait(false);
        _logger.LogInformation("Snapshot {Namespace}/{Name} of VM {Vm} is ready ({Volumes} volumes)", ns, snapshot.Metadata.Name, vmName, included.Count);
        return ReconcileResult.Done;
    }

    private Func<string, JsonObject?> DataVolumeJson(string ns) =>
        name => ctx.Get(KubeVirtTypes.DataVolume, ns, name) is { } dv ? SimulatorContext.ToJson(dv) : null;

    private async Task EnsureVolumeSnapshotAsync(GenericObject content, JsonObject backup, string vsName, GenericObject vm, CancellationToken ct)
    {
        var ns = content.Metadata.NamespaceProperty;
        var volumeSnapshot = ctx.Get(KubeVirtTypes.VolumeSnapshot, ns, vsName) ?? await ctx.CreateOrGetAsync(KubeVirtTypes.VolumeSnapshot, new JsonObject
        {
            ["apiVersion"] = KubeVirtTypes.VolumeSnapshot.ApiVersion,
            ["kind"] = KubeVirtTypes.VolumeSnapshot.Kind,
            ["metadata"] = new JsonObject
            {
                ["name"] = vsName,
                ["namespace"] = ns,
                ["labels"] = new JsonObject
                {
                    [KubeVirtNames.SourceVmNameLabel] = vm.Metadata.Name,
                    [KubeVirtNames.SourceVmNamespaceLabel] = vm.Metadata.NamespaceProperty,
                },
                ["ownerReferences"] = new JsonArray(SimulatorContext.OwnerReference(content)),
            },
            ["spec"] = new JsonObject
            {
                ["source"] = new JsonObject { ["persistentVolumeClaimName"] = (string?)backup["persistentVolumeClaim"]?["metadata"]?["name"] },
            },
        }, ct).ConfigureAwait(false);

        if ((bool?)volumeSnapshot.Status?["readyToUse"] == true) return;
        await ctx.PatchStatusAsync(KubeVirtTypes.VolumeSnapshot, volumeSnapshot, new JsonObject
        {
            ["boundVolumeSnapshotContentName"] = $"snapcontent-{volumeSnapshot.Metadata.Uid}",
            ["creationTime"] = ctx.Now(),
            ["readyToUse"] = true,
            ["restoreSize"] = (string?)backup["persistentVolumeClaim"]?["spec"]?["resources"]?["requests"]?["storage"] ?? VolumeStorage.DefaultSize,
        }, ct).ConfigureAwait(false);
    }
}
