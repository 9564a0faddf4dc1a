using System.Text.Json.Nodes;
using static Vers.LocalCluster.KubeVirt.Tests.KubeVirtHarness;
using static Vers.LocalCluster.KubeVirt.Tests.KubeVirtSamples;
using T = Vers.Api.KubeVirt.KubeVirtTypes;

namespace Vers.LocalCluster.KubeVirt.Tests.Storage;

/// <summary>The PV controller and the CSI external-provisioner on claims of the simulated driver.</summary>
public sealed class ClaimReconcilerTests
{
    /// <summary>kubernetes pv_controller.go syncUnboundClaim / emitEventForUnboundDelayBindingClaim.</summary>
    [Fact]
    public async Task A_claim_of_a_wait_for_first_consumer_class_stays_pending_until_a_node_is_selected()
    {
        await using var h = await StartAsync();
        await h.CreateAsync(T.PersistentVolumeClaim, Claim("disk", Ns, storageClass: DefaultClass));

        var waiting = await h.WaitForEventAsync(Ns, "disk", "WaitForFirstConsumer");

        Assert.Equal("Normal", waiting.At("type"));
        Assert.Equal("waiting for first consumer to be created before binding", waiting.At("note"));
        var claim = await h.ReadAsync(T.PersistentVolumeClaim, Ns, "disk");
        Assert.Equal("Pending", claim.Phase());
        Assert.Null(claim.At("spec.volumeName"));
    }

    /// <summary>external-provisioner controller.go makeVolumeName and provisionClaimOperation; pv_controller.go bind (capacity copied when the claim becomes Bound).</summary>
    [Fact]
    public async Task Once_a_node_is_selected_the_claim_binds_to_volume_pvc_uid_with_capacity_rounded_up_to_whole_GiB()
    {
        await using var h = await StartAsync();
        var created = await h.CreateAsync(T.PersistentVolumeClaim, Claim("disk", Ns, size: "1500Mi"));
        await h.WaitForEventAsync(Ns, "disk", "WaitForFirstConsumer");

        await h.PatchAsync(T.PersistentVolumeClaim, Ns, "disk", new JsonObject
        {
            ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [SelectedNode] = "localcluster-node-1" } },
        });
        var bound = await h.WaitForAsync(T.PersistentVolumeClaim, Ns, "disk", c => c.Phase() == "Bound", "Bound");

        var volumeName = $"pvc-{created.Metadata.Uid}";
        Assert.Equal(volumeName, bound.At("spec.volumeName"));
        Assert.Equal("2Gi", bound.At("status.capacity.storage"));
        Assert.Equal("yes", bound.Annotation("pv.kubernetes.io/bind-completed"));
        var volume = await h.WaitForAsync(T.PersistentVolume, null, volumeName, v => v.Phase() == "Bound", "Bound");
        Assert.Equal("2Gi", volume.At("spec.capacity.storage"));
        Assert.Equal(created.Metadata.Uid, volume.At("spec.claimRef.uid"));
        Assert.Equal("csi.localcluster.vers.sh", volume.Annotation("pv.kubernetes.io/provisioned-by"));
        Assert.Equal(DefaultClass, volume.At("spec.storageClassName"));
        Assert.Equal("Delete", volume.At("spec.persistentVolumeReclaimPolicy"));
    }

    /// <summary>pv_controller.go provisionClaim: a claim of an Immediate class is provisioned without a consumer.</summary>
    [Fact]
    public async Task A_claim_of_an_immediate_class_binds_without_a_consumer()
    {
        await using var h = await StartAsync();
        await h.CreateAsync(T.PersistentVolumeClaim, Claim("disk", Ns, size: "1Gi", storageClass: NoSnapshotClass));

        var bound = await h.WaitForAsync(T.PersistentVolumeClaim, Ns, "disk", c => c.Phase() == "Bound", "Bound");

        Assert.Equal("1Gi", bound.At("status.capacity.storage"));
        var succeeded = await h.WaitForEventAsync(Ns, "disk", "ProvisioningSucceeded");
        Assert.Equal($"Successfully provisioned volume {bound.At("spec.volumeName")}", succeeded.At("note"));
    }

    /// <summary>external-provisioner controller.go getSnapshotSource (size check), wrapped by prepareProvision: ProvisioningFailed, claim left Pending.</summary>
    [Fact]
    public async Task A_claim_restored_from_a_snapshot_with_a_request_below_its_restore_size_stays_pending_with_ProvisioningFailed()
    {
        await using var h = await StartAsync();
        await h.CreateAsync(T.PersistentVolumeClaim, Claim("source", Ns, size: "1500Mi").OnNode());
        await h.CreateAsync(T.VolumeSnapshot, VolumeSnapshot("snap", Ns, "source"));
        await h.WaitForAsync(T.VolumeSnapshot, Ns, "snap", s => s.ReadyToUse(), "readyToUse");

        await h.CreateAsync(T.PersistentVolumeClaim, ClaimFromSnapshot("restored", Ns, "snap", size: "1Gi").OnNode());
        var failed = await h.WaitForEventAsync(Ns, "restored", "ProvisioningFailed",
            "error getting handle for DataSource Type VolumeSnapshot by Name snap: requested volume size 1073741824 is less than the size 2147483648 for the source snapshot snap");

        Assert.Equal("Warning", failed.At("type"));
        var claim = await h.ReadAsync(T.PersistentVolumeClaim, Ns, "restored");
        Assert.Equal("Pending", claim.Phase());
        Assert.Null(claim.At("spec.volumeName"));
    }

    /// <summary>external-provisioner controller.go getSnapshotSource: a request at least the restore size is provisioned from the snapshot.</summary>
    [Fact]
    public async Task A_claim_restored_from_a_snapshot_with_a_request_of_its_restore_size_binds()
    {
        await using var h = await StartAsync();
        await h.CreateAsync(T.PersistentVolumeClaim, Claim("source", Ns, size: "1500Mi").OnNode());
        await h.CreateAsync(T.VolumeSnapshot, VolumeSnapshot("snap", Ns, "source"));
        await h.WaitForAsync(T.VolumeSnapshot, Ns, "snap", s => s.ReadyToUse(), "readyToUse");

        await h.CreateAsync(T.PersistentVolumeClaim, ClaimFromSnapshot("restored", Ns, "snap", size: "2Gi").OnNode());
        var bound = await h.WaitForAsync(T.PersistentVolumeClaim, Ns, "restored", c => c.Phase() == "Bound", "Bound");

        Assert.Equal("2Gi", bound.At("status.capacity.storage"));
    }

    /// <summary>kubernetes pv_controller.go syncBoundClaim: a Bound claim whose volume is gone is Lost (ClaimLost).</summary>
    [Fact]
    public async Task A_bound_claim_whose_volume_disappears_becomes_Lost()
    {
        await using var h = await StartAsync();
        await h.CreateAsync(T.PersistentVolumeClaim, Claim("disk", Ns, storageClass: NoSnapshotClass));
        var bound = await h.WaitForAsync(T.PersistentVolumeClaim, Ns, "disk", c => c.Phase() == "Bound", "Bound");
        var volumeName = bound.At("spec.volumeName")!;

        // An administrator force-removes the volume (past pv-protection).
        await h.PatchAsync(T.PersistentVolume, null, volumeName, new JsonObject { ["metadata"] = new JsonObject { ["finalizers"] = null } });
        await h.DeleteAsync(T.PersistentVolume, null, volumeName);
        await h.WaitForAsync(T.PersistentVolumeClaim, Ns, "disk", c => c.Phase() == "Lost", "Lost");

        var lost = await h.WaitForEventAsync(Ns, "disk", "ClaimLost");
        Assert.Equal("Warning", lost.At("type"));
        Assert.Equal("Bound claim has lost its PersistentVolume. Data on the volume is lost!", lost.At("note"));
    }

    /// <summary>kubernetes pv_controller.go syncVolume / reclaimVolume: a volume whose claim is gone is Released, then deleted (reclaim policy Delete).</summary>
    [Fact]
    public async Task A_volume_whose_claim_is_deleted_is_released_and_then_deleted()
    {
        await using var h = await StartAsync();
        await h.CreateAsync(T.PersistentVolumeClaim, Claim("disk", Ns, storageClass: NoSnapshotClass));
        var bound = await h.WaitForAsync(T.PersistentVolumeClaim, Ns, "disk", c => c.Phase() == "Bound", "Bound");
        var volumeName = bound.At("spec.volumeName")!;
        await h.WaitForAsync(T.PersistentVolume, null, volumeName, v => v.Phase() == "Bound", "Bound");
        await using var volume = await h.RecordAsync(T.PersistentVolume, null, volumeName);

        await h.DeleteAsync(T.PersistentVolumeClaim, Ns, "disk");

        await volume.UntilAsync(v => v.Phase() == "Released");
        await h.WaitForDeletionAsync(T.PersistentVolume, null, volumeName);
    }
}
