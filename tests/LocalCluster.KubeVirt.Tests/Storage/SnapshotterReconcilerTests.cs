using static Vers.LocalCluster.KubeVirt.Tests.KubeVirtHarness;
using static Vers.LocalCluster.KubeVirt.Tests.KubeVirtSamples;
using T = Vers.Api.KubeVirt.KubeVirtTypes;

namespace Vers.LocalCluster.KubeVirt.Tests.Storage;

/// <summary>The CSI external-snapshotter (common controller and csi-snapshotter sidecar) with the simulated driver.</summary>
public sealed class SnapshotterReconcilerTests
{
    private const string AsSourceFinalizer = "snapshot.storage.kubernetes.io/volumesnapshot-as-source-protection";
    private const string BoundFinalizer = "snapshot.storage.kubernetes.io/volumesnapshot-bound-protection";
    private const string ContentFinalizer = "snapshot.storage.kubernetes.io/volumesnapshotcontent-bound-protection";

    /// <summary>
    /// external-snapshotter snapshot_controller.go createSnapshotContent (content snapcontent-&lt;uid&gt;, GetDynamicSnapshotContentNameForSnapshot)
    /// and updateSnapshotStatus; sidecar createSnapshotWrapper (restoreSize = the driver's SizeBytes, the volume's capacity).
    /// </summary>
    [Fact]
    public async Task A_snapshot_of_a_bound_claim_is_bound_to_content_snapcontent_uid_and_ready_with_the_volume_capacity_as_restore_size()
    {
        await using var h = await StartAsync();
        await h.CreateAsync(T.PersistentVolumeClaim, Claim("disk", Ns, size: "1500Mi").OnNode());
        var created = await h.CreateAsync(T.VolumeSnapshot, VolumeSnapshot("snap", Ns, "disk", SnapshotClass));

        var ready = await h.WaitForAsync(T.VolumeSnapshot, Ns, "snap", s => s.ReadyToUse(), "readyToUse");

        var contentName = $"snapcontent-{created.Metadata.Uid}";
        Assert.Equal(contentName, ready.At("status.boundVolumeSnapshotContentName"));
        Assert.Equal("2Gi", ready.At("status.restoreSize"));
        Assert.NotNull(ready.At("status.creationTime"));
        Assert.Null(ready.At("status.error"));
        Assert.Equivalent(new[] { AsSourceFinalizer, BoundFinalizer }, ready.Finalizers(), strict: true);
        var content = await h.ReadAsync(T.VolumeSnapshotContent, null, contentName);
        Assert.Equal(created.Metadata.Uid, content.At("spec.volumeSnapshotRef.uid"));
        Assert.Equal("Delete", content.At("spec.deletionPolicy"));
        Assert.Equal("csi.localcluster.vers.sh", content.At("spec.driver"));
        Assert.Equal(SnapshotClass, content.At("spec.volumeSnapshotClassName"));
        Assert.Equal("2147483648", content.At("status.restoreSize"));
        Assert.Equal("true", content.At("status.readyToUse"));
        Assert.Equal([ContentFinalizer], content.Finalizers());
    }

    /// <summary>external-snapshotter snapshot_controller.go createSnapshotContent → getCreateSnapshotInput → getVolumeFromVolumeSnapshot, updateSnapshotErrorStatusWithEvent.</summary>
    [Fact]
    public async Task A_snapshot_of_an_unbound_claim_gets_the_not_yet_bound_error_and_no_content()
    {
        await using var h = await StartAsync();
        await h.CreateAsync(T.PersistentVolumeClaim, Claim("disk", Ns));
        await h.CreateAsync(T.VolumeSnapshot, VolumeSnapshot("snap", Ns, "disk", SnapshotClass));

        var failed = await h.WaitForAsync(T.VolumeSnapshot, Ns, "snap", s => s.At("status.error.message") is not null, "status.error");

        const string message = "Failed to create snapshot content with error failed to get input parameters to create snapshot snap: "
            + "\"the PVC disk is not yet bound to a PV, will not attempt to take a snapshot\"";
        Assert.Equal(message, failed.At("status.error.message"));
        Assert.Equal("false", failed.At("status.readyToUse"));
        Assert.Null(failed.At("status.boundVolumeSnapshotContentName"));
        var warning = await h.WaitForEventAsync(Ns, "snap", "SnapshotContentCreationFailed");
        Assert.Equal(message, warning.At("note"));
    }

    /// <summary>external-snapshotter snapshot_controller_base.go checkAndUpdateSnapshotClass → getSnapshotClass: before any finalizer.</summary>
    [Fact]
    public async Task A_snapshot_naming_a_class_that_does_not_exist_fails_to_get_the_class()
    {
        await using var h = await StartAsync();
        await h.CreateAsync(T.PersistentVolumeClaim, Claim("disk", Ns));
        await h.CreateAsync(T.VolumeSnapshot, VolumeSnapshot("snap", Ns, "disk", "no-such-class"));

        const string message = "Failed to get snapshot class with error volumesnapshotclass.snapshot.storage.k8s.io \"no-such-class\" not found";
        var failed = await h.WaitForAsync(T.VolumeSnapshot, Ns, "snap", s => s.At("status.error.message") == message, "status.error");

        Assert.Null(failed.At("status.readyToUse"));
        Assert.Empty(failed.Finalizers());
        await h.WaitForEventAsync(Ns, "snap", "GetSnapshotClassFailed", message);
    }

    /// <summary>external-snapshotter snapshot_controller_base.go checkAndUpdateSnapshotClass → SetDefaultSnapshotClass → pvDriverFromSnapshot.</summary>
    [Fact]
    public async Task A_snapshot_naming_no_class_of_an_unbound_claim_fails_to_set_the_default_class()
    {
        await using var h = await StartAsync();
        await h.CreateAsync(T.PersistentVolumeClaim, Claim("disk", Ns));
        await h.CreateAsync(T.VolumeSnapshot, VolumeSnapshot("snap", Ns, "disk"));

        // (Until the claim reaches the controller's cache the error says the claim cannot be retrieved, as upstream's lister would.)
        const string message = "Failed to set default snapshot class with error the PVC disk is not yet bound to a PV, will not attempt to take a snapshot";
        var failed = await h.WaitForAsync(T.VolumeSnapshot, Ns, "snap", s => s.At("status.error.message") == message, "status.error");

        Assert.Null(failed.At("status.readyToUse"));
        Assert.Empty(failed.Finalizers());
        var warning = await h.WaitForEventAsync(Ns, "snap", "SetDefaultSnapshotClassFailed", message);
        Assert.Equal("Warning", warning.At("type"));
    }

    /// <summary>external-snapshotter snapshot_controller.go SetDefaultSnapshotClass: the one default class of the volume's driver is written into the spec.</summary>
    [Fact]
    public async Task A_snapshot_naming_no_class_gets_the_default_class_of_the_volume_driver()
    {
        await using var h = await StartAsync();
        await h.CreateAsync(T.PersistentVolumeClaim, Claim("disk", Ns).OnNode());
        await h.CreateAsync(T.VolumeSnapshot, VolumeSnapshot("snap", Ns, "disk"));

        var ready = await h.WaitForAsync(T.VolumeSnapshot, Ns, "snap", s => s.ReadyToUse(), "readyToUse");

        Assert.Equal(SnapshotClass, ready.At("spec.volumeSnapshotClassName"));
    }

    /// <summary>external-snapshotter snapshot_controller.go syncUnreadySnapshot (retried with backoff) and updateSnapshotStatus (error cleared once ready).</summary>
    [Fact]
    public async Task A_snapshot_of_an_unbound_claim_is_taken_once_the_claim_binds_and_its_error_is_cleared()
    {
        await using var h = await StartAsync();
        await h.CreateAsync(T.PersistentVolumeClaim, Claim("disk", Ns));
        await h.CreateAsync(T.VolumeSnapshot, VolumeSnapshot("snap", Ns, "disk", SnapshotClass));
        await h.WaitForAsync(T.VolumeSnapshot, Ns, "snap", s => s.At("status.error.message") is not null, "status.error");

        await h.PatchAsync(T.PersistentVolumeClaim, Ns, "disk", Json("""{ "metadata": { "annotations": { "volume.kubernetes.io/selected-node": "localcluster-node-1" } } }"""));
        var ready = await h.WaitForAsync(T.VolumeSnapshot, Ns, "snap", s => s.ReadyToUse(), "readyToUse");

        Assert.Null(ready.At("status.error"));
        Assert.Equal("1Gi", ready.At("status.restoreSize"));
    }

    /// <summary>external-snapshotter snapshot_controller.go processSnapshotWithDeletionTimestamp: deletionPolicy Delete deletes the content, then the finalizers go.</summary>
    [Fact]
    public async Task Deleting_a_snapshot_deletes_its_content()
    {
        await using var h = await StartAsync();
        await h.CreateAsync(T.PersistentVolumeClaim, Claim("disk", Ns).OnNode());
        await h.CreateAsync(T.VolumeSnapshot, VolumeSnapshot("snap", Ns, "disk", SnapshotClass));
        var ready = await h.WaitForAsync(T.VolumeSnapshot, Ns, "snap", s => s.ReadyToUse(), "readyToUse");
        var contentName = ready.At("status.boundVolumeSnapshotContentName")!;

        await h.DeleteAsync(T.VolumeSnapshot, Ns, "snap");

        await h.WaitForDeletionAsync(T.VolumeSnapshotContent, null, contentName);
        await h.WaitForDeletionAsync(T.VolumeSnapshot, Ns, "snap");
    }

    /// <summary>external-snapshotter snapshot_controller.go processSnapshotWithDeletionTimestamp: not while a Pending claim restores from it (SnapshotDeletePending).</summary>
    [Fact]
    public async Task A_snapshot_a_pending_claim_restores_from_is_kept_while_the_claim_is_pending()
    {
        await using var h = await StartAsync();
        await h.CreateAsync(T.PersistentVolumeClaim, Claim("disk", Ns).OnNode());
        await h.CreateAsync(T.VolumeSnapshot, VolumeSnapshot("snap", Ns, "disk", SnapshotClass));
        var ready = await h.WaitForAsync(T.VolumeSnapshot, Ns, "snap", s => s.ReadyToUse(), "readyToUse");
        await h.CreateAsync(T.PersistentVolumeClaim, ClaimFromSnapshot("restored", Ns, "snap", "1Gi"));
        await h.WaitForEventAsync(Ns, "restored", "WaitForFirstConsumer");

        await h.DeleteAsync(T.VolumeSnapshot, Ns, "snap");

        var pending = await h.WaitForEventAsync(Ns, "snap", "SnapshotDeletePending");
        Assert.Equal("Warning", pending.At("type"));
        Assert.Equal("Snapshot is being used to restore a PVC", pending.At("note"));
        Assert.NotNull(await h.GetAsync(T.VolumeSnapshot, Ns, "snap"));
        Assert.NotNull(await h.GetAsync(T.VolumeSnapshotContent, null, ready.At("status.boundVolumeSnapshotContentName")!));
    }

    /// <summary>
    /// csi-snapshotter sidecar snapshot_controller.go checkandUpdateContentStatus / createSnapshotWrapper: a driver error lands in the content's and
    /// the snapshot's status.error and the snapshot stays not ready (<c>--sim-fault fail=volumesnapshots</c>).
    /// </summary>
    [Fact]
    public async Task With_fault_fail_volumesnapshots_a_snapshot_gets_the_driver_error_and_stays_not_ready()
    {
        await using var h = await StartAsync();
        h.Options.Apply("fail=volumesnapshots");
        await h.CreateAsync(T.PersistentVolumeClaim, Claim("disk", Ns).OnNode());
        await h.WaitForAsync(T.PersistentVolumeClaim, Ns, "disk", c => c.Phase() == "Bound", "Bound");
        var created = await h.CreateAsync(T.VolumeSnapshot, VolumeSnapshot("snap", Ns, "disk", SnapshotClass));

        const string driverError = "Failed to check and update snapshot content: failed to take snapshot of the volume ";
        var failed = await h.WaitForAsync(T.VolumeSnapshot, Ns, "snap",
            s => s.At("status.error.message")?.StartsWith(driverError, StringComparison.Ordinal) == true, "the driver's error");

        Assert.Equal("false", failed.At("status.readyToUse"));
        var content = await h.ReadAsync(T.VolumeSnapshotContent, null, $"snapcontent-{created.Metadata.Uid}");
        Assert.Equal(failed.At("status.error.message"), content.At("status.error.message"));
        Assert.Equal("false", content.At("status.readyToUse"));
    }

    private static System.Text.Json.Nodes.JsonObject Json(string text) => System.Text.Json.Nodes.JsonNode.Parse(text)!.AsObject();
}
