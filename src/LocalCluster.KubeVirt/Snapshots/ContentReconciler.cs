using System.Text.Json.Nodes;
using Vers.LocalCluster.KubeVirt.Storage;
using Vers.Api.KubeVirt;
using Vers.Kube;
using Vers.Kube.Controllers;

namespace Vers.LocalCluster.KubeVirt.Snapshots;

/// <summary>
/// Plays KubeVirt's VirtualMachineSnapshotContent reconcile (snapshot.go <c>updateVMSnapshotContent</c>,
/// <c>createVolumeSnapshot</c>): one VolumeSnapshot per volume backup, named <c>vmsnapshot-&lt;snapshot uid&gt;-volume-&lt;volume&gt;</c>,
/// labelled with the source VM, owned by the content, of the class KubeVirt picks for the claim's StorageClass; then the
/// content's status from them — <c>creationTime</c> once every one is cut, <c>readyToUse</c> once every one is ready,
/// <c>error</c> from the first that has one — and, when a VolumeSnapshot of a created content is deleted, the error
/// "VolumeSnapshots (…) missing" with <c>readyToUse</c> false (and Warning VolumeSnapshotMissing). A content being deleted
/// loses its finalizer; its VolumeSnapshots follow by garbage collection.
/// </summary>
internal sealed class ContentReconciler(SimulatorContext ctx) : IReconciler<GenericObject>
{
    private const string Component = "snapshot-controller";

    public async Task<ReconcileResult> ReconcileAsync(GenericObject content, CancellationToken ct)
    {
        content = ctx.Newest(KubeVirtTypes.VirtualMachineSnapshotContent, content);
        if (await ctx.RemoveFinalizerIfDeletingAsync(KubeVirtTypes.VirtualMachineSnapshotContent, content, SnapshotKeys.ContentFinalizer, ct))
        {
            return ReconcileResult.Done;
        }

        var ns = content.Metadata.NamespaceProperty;
        var spec = content.Spec ?? [];
        var current = content.Status;
        var wasCreated = current?["creationTime"] is not null;
        var sourceVm = spec["source"]?["virtualMachine"] as JsonObject;
        var statuses = new JsonArray();
        var missing = new List<string>();
        string? error = null;
        var allCut = true;
        var allReady = true;
        foreach (var backup in (spec["volumeBackups"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if ((string?)backup["volumeSnapshotName"] is not { } name)
            {
                continue;
            }

            var volumeSnapshot = ctx.Get(KubeVirtTypes.VolumeSnapshot, ns, name);
            if (volumeSnapshot is null)
            {
                if (wasCreated)
                {
                    missing.Add(name);
                    await ctx.Events(Component).WarningAsync(content, "VolumeSnapshotMissing", "Snapshot", $"VolumeSnapshot {name} no longer exists", ct);
                    continue;
                }

                volumeSnapshot = await CreateVolumeSnapshotAsync(content, backup, name, sourceVm, ct);
            }

            var vsStatus = volumeSnapshot.Status;
            var cut = (string?)vsStatus?["creationTime"];
            var ready = (bool?)vsStatus?["readyToUse"] == true;
            allCut &= cut is not null;
            allReady &= ready;
            if (error is null && (string?)vsStatus?["error"]?["message"] is { } message)
            {
                error = $"VolumeSnapshot {name} error: {message}";
            }

            var entry = new JsonObject { ["volumeSnapshotName"] = name, ["readyToUse"] = ready };
            if (cut is not null)
            {
                entry["creationTime"] = cut;
            }

            if (vsStatus?["error"] is JsonObject vsError)
            {
                entry["error"] = vsError.DeepClone();
            }

            statuses.Add(entry);
        }

        if (missing.Count > 0)
        {
            (allCut, allReady, error) = (false, false, $"VolumeSnapshots ({string.Join(",", missing)}) missing");
        }

        // At zero latency the VolumeSnapshots are cut by the next reconcile: a "nothing cut yet" status would last no time.
        if (!allCut && error is null && current is null && ctx.Options.DelayFor(Storage.SnapshotterReconciler.Kind) <= TimeSpan.Zero)
        {
            return ReconcileResult.Done;
        }

        var status = new JsonObject
        {
            ["readyToUse"] = allReady,
            ["volumeSnapshotStatus"] = statuses,
            ["error"] = error is null || allReady ? null : new JsonObject { ["message"] = error, ["time"] = (string?)current?["error"]?["time"] ?? ctx.Now() },
        };
        if (wasCreated)
        {
            status["creationTime"] = (string?)current!["creationTime"];
        }
        else if (allCut)
        {
            status["creationTime"] = ctx.Now();
        }

        await ctx.PatchStatusAsync(KubeVirtTypes.VirtualMachineSnapshotContent, content, status, ct);
        return ReconcileResult.Done;
    }

    private async Task<GenericObject> CreateVolumeSnapshotAsync(GenericObject content, JsonObject backup, string name, JsonObject? sourceVm, CancellationToken ct)
    {
        var claim = backup["persistentVolumeClaim"] as JsonObject;
        var className = (string?)claim?["spec"]?["storageClassName"];
        var snapshotClass = className is null ? null : SnapshotClasses.For(ctx, className).Name;
        var spec = new JsonObject { ["source"] = new JsonObject { ["persistentVolumeClaimName"] = (string?)claim?["metadata"]?["name"] } };
        if (snapshotClass is not null)
        {
            spec["volumeSnapshotClassName"] = snapshotClass;
        }

        var created = await ctx.CreateOrGetAsync(KubeVirtTypes.VolumeSnapshot, new JsonObject
        {
            ["apiVersion"] = KubeVirtTypes.VolumeSnapshot.ApiVersion,
            ["kind"] = KubeVirtTypes.VolumeSnapshot.Kind,
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["namespace"] = content.Metadata.NamespaceProperty,
                ["labels"] = new JsonObject
                {
                    [SnapshotKeys.SourceVmNameLabel] = (string?)sourceVm?["metadata"]?["name"],
                    [SnapshotKeys.SourceVmNamespaceLabel] = (string?)sourceVm?["metadata"]?["namespace"] ?? content.Metadata.NamespaceProperty,
                },
                ["ownerReferences"] = new JsonArray(SimulatorContext.OwnerReference(content)),
            },
            ["spec"] = spec,
        }, ct);
        await ctx.Events(Component).NormalAsync(content, "SuccessfulVolumeSnapshotCreate", "Snapshot", $"Successfully created VolumeSnapshot {name}", ct);
        return created;
    }
}
