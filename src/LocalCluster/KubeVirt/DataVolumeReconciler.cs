using System.Text.Json.Nodes;
using Vers.Operator.KubeVirt;
using Vers.Operator.Runtime;
using Vers.Operator.Runtime.Controllers;

namespace Vers.LocalCluster.KubeVirt;

/// <summary>
/// Plays CDI's DataVolume controllers. There are no real PVCs: a DataVolume succeeds as soon as its source is
/// usable (a ready VolumeSnapshot, in any namespace, for <c>source.snapshot</c>; immediately for pvc, blank,
/// http and the other sources).
/// </summary>
internal sealed class DataVolumeReconciler(SimulatorContext ctx) : IReconciler<GenericObject>
{
    public const string Kind = "DataVolume";

    public async Task<ReconcileResult> ReconcileAsync(GenericObject dv, CancellationToken ct)
    {
        dv = ctx.Newest(KubeVirtTypes.DataVolume, dv);
        var status = dv.Status;
        var phase = (string?)status?["phase"];
        if (dv.Metadata.DeletionTimestamp is not null) return ReconcileResult.Done;
        if (phase is "Succeeded" or "Failed")
        {
            ctx.Forget(Kind, dv.Metadata.Uid);
            return ReconcileResult.Done;
        }

        var decision = ctx.Decide(ctx.DataVolumes, Kind, dv);
        if (decision.Fail)
        {
            await ctx.PatchStatusAsync(KubeVirtTypes.DataVolume, dv, Status(dv, "Failed", "N/A",
                bound: (false, "ClaimLost", "injected failure"), ready: false, running: (false, "Error", "injected failure")), ct).ConfigureAwait(false);
            return ReconcileResult.Done;
        }

        var source = dv.Spec?["source"] as JsonObject;
        var inProgressPhase = "ImportInProgress";
        if (source?["snapshot"] is JsonObject snapshotSource)
        {
            inProgressPhase = "CloneFromSnapshotSourceInProgress";
            var snapshotNs = (string?)snapshotSource["namespace"] ?? dv.Metadata.NamespaceProperty;
            var snapshotName = (string?)snapshotSource["name"] ?? "";
            var volumeSnapshot = ctx.Get(KubeVirtTypes.VolumeSnapshot, snapshotNs, snapshotName);
            if (volumeSnapshot is null)
            {
                // Re-evaluated on VolumeSnapshot events.
                var message = $"The source snapshot {snapshotNs}/{snapshotName} doesn't exist";
                await ctx.PatchStatusAsync(KubeVirtTypes.DataVolume, dv, Status(dv, "Pending", "N/A",
                    bound: (false, "CloneWithoutSource", message), ready: false, running: (false, "CloneWithoutSource", message)), ct).ConfigureAwait(false);
                return ReconcileResult.Done;
            }
            if ((bool?)volumeSnapshot.Status?["readyToUse"] != true)
            {
                await ctx.PatchStatusAsync(KubeVirtTypes.DataVolume, dv, Status(dv, "SnapshotForSmartCloneInProgress", "N/A",
                    bound: (false, "Pending", $"VolumeSnapshot {snapshotNs}/{snapshotName} is not ready to use"), ready: false,
                    running: (false, "Pending", "")), ct).ConfigureAwait(false);
                return ReconcileResult.Done;
            }
        }
        else if (source?["pvc"] is not null)
        {
            inProgressPhase = "CloneInProgress";
        }

        if (ctx.Remaining(decision) is var left && left > TimeSpan.Zero)
        {
            await ctx.PatchStatusAsync(KubeVirtTypes.DataVolume, dv, Status(dv, inProgressPhase, "N/A",
                bound: (true, "Bound", $"PVC {dv.Metadata.Name} Bound"), ready: false, running: (true, "Pod is running", "")), ct).ConfigureAwait(false);
            return ReconcileResult.After(left);
        }

        await ctx.PatchStatusAsync(KubeVirtTypes.DataVolume, dv, Status(dv, "Succeeded", "100.0%",
            bound: (true, "Bound", $"PVC {dv.Metadata.Name} Bound"), ready: true, running: (false, "Completed", "")), ct).ConfigureAwait(false);
        return ReconcileResult.Done;
    }

    private JsonObject Status(GenericObject dv, string phase, string progress,
        (bool Status, string Reason, string Message) bound, bool ready, (bool Status, string Reason, string Message) running)
    {
        var current = dv.Status;
        return new JsonObject
        {
            ["phase"] = phase,
            ["progress"] = progress,
            ["claimName"] = dv.Metadata.Name,
            ["restartCount"] = 0,
            ["conditions"] = new JsonArray(
                ctx.Condition(current, "Bound", bound.Status, bound.Reason, bound.Message),
                ctx.Condition(current, "Ready", ready, ready ? "" : phase, ""),
                ctx.Condition(current, "Running", running.Status, running.Reason, running.Message)),
        };
    }
}
