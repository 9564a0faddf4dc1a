using System.Text.Json.Nodes;
using Vers.Api.KubeVirt;
using Vers.Kube;
using Vers.Kube.Controllers;

namespace Vers.LocalCluster.KubeVirt.Storage;

/// <summary>
/// Plays the PV controller's volume side for the simulated driver's PersistentVolumes (pv_controller.go
/// <c>syncVolume</c>): a volume whose claim exists with the recorded uid is Bound; one whose claim is gone is Released
/// and, with reclaim policy Delete, deleted (the driver frees the storage, <c>reclaimVolume</c> → <c>deleteVolumeOperation</c>).
/// </summary>
internal sealed class VolumeReconciler(SimulatorContext ctx) : IReconciler<GenericObject>
{
    public async Task<ReconcileResult> ReconcileAsync(GenericObject volume, CancellationToken ct)
    {
        volume = ctx.Newest(KubeVirtTypes.PersistentVolume, volume);
        var spec = volume.Spec ?? [];
        if (volume.Metadata.DeletionTimestamp is not null || !SimulatedStorage.IsOurs((string?)spec["csi"]?["driver"]))
        {
            return ReconcileResult.Done;
        }

        if (spec["claimRef"] is not JsonObject claimRef)
        {
            await ctx.PatchStatusAsync(KubeVirtTypes.PersistentVolume, volume, new JsonObject { ["phase"] = "Available" }, ct);
            return ReconcileResult.Done;
        }

        var claim = ctx.Get(KubeVirtTypes.PersistentVolumeClaim, (string?)claimRef["namespace"], (string?)claimRef["name"] ?? "");
        if (claim is not null && claim.Metadata.Uid == (string?)claimRef["uid"] && claim.Metadata.DeletionTimestamp is null)
        {
            await ctx.PatchStatusAsync(KubeVirtTypes.PersistentVolume, volume, new JsonObject { ["phase"] = "Bound" }, ct);
            return ReconcileResult.Done;
        }

        if (claim is not null && claim.Metadata.Uid == (string?)claimRef["uid"])
        {
            // The claim is being deleted: released once it is gone.
            return ReconcileResult.Done;
        }

        volume = await ctx.PatchStatusAsync(KubeVirtTypes.PersistentVolume, volume, new JsonObject { ["phase"] = "Released" }, ct);
        if ((string?)spec["persistentVolumeReclaimPolicy"] == "Delete")
        {
            await ctx.DeleteAsync(KubeVirtTypes.PersistentVolume, null, volume.Metadata.Name, ct);
        }

        return ReconcileResult.Done;
    }
}
