using System.Globalization;
using System.Text.Json.Nodes;
using Vers.LocalCluster.KubeVirt.Storage;
using Vers.Api.KubeVirt;
using Vers.Kube;
using Vers.Kube.Controllers;
using static System.FormattableString;

namespace Vers.LocalCluster.KubeVirt.Cdi;

// The snapshot clone (source.snapshot): CDI's validation of the source, the clone populator restoring the snapshot
// into the DataVolume's claim, and the events and conditions of a clone that cannot start.
internal sealed partial class DataVolumeReconciler
{
    private async Task<ReconcileResult> CloneAsync(GenericObject dv, JsonObject source, GenericObject? claim, CancellationToken ct)
    {
        var ns = dv.Metadata.NamespaceProperty;
        var name = dv.Metadata.Name;
        var sourceNs = (string?)source["namespace"] ?? ns;
        var sourceName = (string?)source["name"] ?? "";
        var crossNamespace = sourceNs != ns;
        var snapshot = ctx.Get(KubeVirtTypes.VolumeSnapshot, sourceNs, sourceName);
        if (claim is null)
        {
            // snapshot-clone-controller.go validateCloneAndSourceSnapshot: nothing moves until the snapshot changes.
            if (snapshot is null)
            {
                var missing = string.Format(CultureInfo.InvariantCulture, CdiKeys.MessageCloneWithoutSource, "snapshot", sourceName);
                await ValidationFailedAsync(dv, crossNamespace, "CloneWithoutSource", missing, ct);
                return ReconcileResult.Done;
            }

            if (ValidationProblem(dv, snapshot) is { } problem)
            {
                await ValidationFailedAsync(dv, crossNamespace, "CloneValidationFailed", string.Format(CultureInfo.InvariantCulture, CdiKeys.MessageCloneValidationFailed, problem), ct);
                return ReconcileResult.Done;
            }

            if (crossNamespace)
            {
                dv = await ctx.AddFinalizerAsync(KubeVirtTypes.DataVolume, dv, CdiKeys.CrossNamespaceFinalizer, ct);
            }

            var restoreSize = SimulatedStorage.Bytes(snapshot.Status?["restoreSize"]) ?? 0;
            claim = await ctx.CreateOrGetAsync(KubeVirtTypes.PersistentVolumeClaim, Claim(dv, RenderSpec(dv, restoreSize), new JsonObject
            {
                ["apiGroup"] = "cdi.kubevirt.io",
                ["kind"] = "VolumeCloneSource",
                ["name"] = $"volume-clone-source-{dv.Metadata.Uid}",
            }, crossNamespace ? sourceNs : null), ct);

            // controller-base.go updateStatus after the claim is made: Pending with the populator not started (clonePhase
            // unset) maps to CloneScheduled (clone-controller-base.go populatorPhaseMap), its event with the phase change.
            if (!WaitsForConsumer(claim)
                && await SetStatusAsync(dv, "CloneScheduled", bound: (false, "Pending", $"PVC {name} Pending"), running: (false, "Pending", "Clone Pending"), ct))
            {
                await ctx.Events(Component).NormalAsync(dv, "CloneScheduled", "Clone",
                    string.Format(CultureInfo.InvariantCulture, CdiKeys.MessageCloneScheduled, sourceNs, sourceName, ns, name), ct);
                dv = ctx.Get(KubeVirtTypes.DataVolume, ns, name) ?? dv;
            }
        }

        if ((string?)claim.Status?["phase"] == "Bound")
        {
            if (await LoseVolumeIfFailingAsync(dv, claim, ct))
            {
                return ReconcileResult.Done;
            }

            await SucceedAsync(dv, "CloneSucceeded",
                string.Format(CultureInfo.InvariantCulture, CdiKeys.MessageCloneSucceeded, sourceNs, sourceName, ns, name), "Clone Complete", ct);
            await ctx.RemoveFinalizerAsync(KubeVirtTypes.DataVolume, ctx.Get(KubeVirtTypes.DataVolume, ns, name) ?? dv, CdiKeys.CrossNamespaceFinalizer, ct);
            return ReconcileResult.Done;
        }

        if ((string?)claim.Spec?["volumeName"] is not null)
        {
            // Restored and handed to the claim: the PV controller binds it.
            return ReconcileResult.Done;
        }

        // The clone populator on the target claim (populators/clone-populator.go reconcilePending).
        if (WaitsForConsumer(claim))
        {
            await SetStatusAsync(dv, "PendingPopulation", bound: (false, "Pending", $"PVC {name} Pending"), running: (false, "Pending", "Clone Pending"), ct);
            return ReconcileResult.Done;
        }

        if (snapshot is null || snapshot.Metadata.DeletionTimestamp is not null)
        {
            var missing = string.Format(CultureInfo.InvariantCulture, CdiKeys.MessageCloneWithoutSource, "snapshot", sourceName);
            await ctx.Events("clone-populator").WarningAsync(claim, "CloneWithoutSource", "Clone", missing, ct);
            await SetStatusAsync(dv, "CloneScheduled", bound: (false, "Pending", $"target PVC {name} Pending and {missing}"), running: (false, "Pending", "Clone Pending"), ct);
            return ReconcileResult.Done;
        }

        if ((bool?)snapshot.Status?["readyToUse"] != true)
        {
            await SetStatusAsync(dv, "CloneScheduled", bound: (false, "Pending", $"PVC {name} Pending"), running: (false, "Pending", "Clone Pending"), ct);
            return ReconcileResult.Done;
        }

        var left = ctx.Remaining(Kind, dv, "restore");
        if (left > TimeSpan.Zero)
        {
            if (await SetStatusAsync(dv, "CloneFromSnapshotSourceInProgress", bound: (false, "Pending", $"PVC {name} Pending"), running: (true, "Populator is running", ""), ct))
            {
                await ctx.Events(Component).NormalAsync(dv, "CloneFromSnapshotSourceInProgress", "Clone",
                    string.Format(CultureInfo.InvariantCulture, CdiKeys.MessageCloneFromSnapshotSourceInProgress, "snapshot", sourceNs, sourceName), ct);
            }

            return ReconcileResult.After(left);
        }

        await RestoreAsync(claim, snapshot, ct);
        return ReconcileResult.Done;
    }

    /// <summary>The populator's result: a volume restored from the snapshot (the driver's capacity, never below the request), handed to the claim.</summary>
    private async Task RestoreAsync(GenericObject claim, GenericObject snapshot, CancellationToken ct)
    {
        var spec = claim.Spec ?? [];
        var className = (string?)spec["storageClassName"];
        var storageClass = SimulatedStorage.ClassOf(ctx, className);
        var provisioner = (string?)storageClass?.Fields["provisioner"] ?? SimulatedStorage.Driver;
        var request = SimulatedStorage.Bytes(spec["resources"]?["requests"]?["storage"]) ?? 0;
        var restoreSize = SimulatedStorage.Bytes(snapshot.Status?["restoreSize"]) ?? 0;
        var capacity = SimulatedStorage.Allocate(Math.Max(request, restoreSize));
        var volume = await ctx.CreateOrGetAsync(KubeVirtTypes.PersistentVolume, ClaimReconciler.Volume(claim, storageClass, capacity), ct);
        await ctx.PatchAsync(KubeVirtTypes.PersistentVolumeClaim, claim, new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["annotations"] = new JsonObject
                {
                    [StorageKeys.StorageProvisioner] = provisioner,
                    [StorageKeys.BetaStorageProvisioner] = provisioner,
                    [StorageKeys.BindCompleted] = "yes",
                    [CdiKeys.CloneType] = "snapshot",
                    [CdiKeys.ClonePhase] = "Succeeded",
                },
            },
            ["spec"] = new JsonObject { ["volumeName"] = volume.Metadata.Name },
        }, ct);
    }

    /// <summary>
    /// snapshot-clone-controller.go <c>validateSnapshotClone</c>: the snapshot must be usable, have a restore size, and a
    /// requested size (before the filesystem overhead is added) must not be below it.
    /// </summary>
    private static string? ValidationProblem(GenericObject dv, GenericObject snapshot)
    {
        var status = snapshot.Status;
        if (status is null)
        {
            return "no status on source snapshot yet";
        }

        if ((string?)status["error"]?["message"] is { } error)
        {
            return $"snapshot in error state with msg: {error}";
        }

        if (SimulatedStorage.Bytes(status["restoreSize"]) is not { } restoreSize || restoreSize < 0)
        {
            return "snapshot has no restore size";
        }

        var spec = dv.Spec ?? [];
        var requested = SimulatedStorage.Bytes((spec["pvc"] ?? spec["storage"])?["resources"]?["requests"]?["storage"]);
        if (requested is { } target && restoreSize > 0 && target < restoreSize)
        {
            return Invariant($"target resources requests storage size is smaller than the source {target} < {restoreSize}");
        }

        return requested is null && restoreSize == 0 ? "size not specified by user/provisioner, can't tell how much needed for restore" : null;
    }

    /// <summary>
    /// A validation failure: phase unchanged, Bound and Ready False with the reason, and — as a Bound condition change — a Normal event.
    /// A cross-namespace clone is Pending by then: its first pass only adds the extended clone token (<c>ensureExtendedTokenDV</c>)
    /// and <c>updateStatus</c> sets Pending (<c>shouldSetDataVolumePending</c>); a same-namespace clone keeps no phase.
    /// </summary>
    private async Task ValidationFailedAsync(GenericObject dv, bool crossNamespace, string reason, string message, CancellationToken ct)
    {
        var phase = (string?)dv.Status?["phase"] ?? "";
        if (await SetStatusAsync(dv, phase.Length == 0 && crossNamespace ? "Pending" : phase,
                bound: (false, reason, message), running: (false, reason, message), ct, readyReason: reason))
        {
            await ctx.Events(Component).NormalAsync(dv, reason, "Clone", message, ct);
        }
    }
}
