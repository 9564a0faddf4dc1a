using System.Text.Json.Nodes;
using Vers.LocalCluster.KubeVirt;
using static Vers.LocalCluster.KubeVirt.Tests.KubeVirtHarness;
using static Vers.LocalCluster.KubeVirt.Tests.KubeVirtSamples;
using static Vers.LocalCluster.KubeVirt.Tests.Snapshots.SnapshotScenarios;
using T = Vers.Api.KubeVirt.KubeVirtTypes;

namespace Vers.LocalCluster.KubeVirt.Tests.Snapshots;

/// <summary>KubeVirt v1.9's VirtualMachineSnapshotContent reconcile (pkg/storage/snapshot/snapshot.go updateVMSnapshotContent, createVolumeSnapshot).</summary>
public sealed class ContentReconcilerTests
{
    /// <summary>snapshot.go createContent: vmsnapshot-content-&lt;uid&gt;, a copy of the VM, one backup per snapshotted claim, the content finalizer, no owner.</summary>
    [Fact]
    public async Task A_content_holds_a_copy_of_the_vm_and_a_backup_of_each_claim()
    {
        await using var h = await StartAsync();
        await RunningVmAsync(h, "vm1");

        var ready = await ReadySnapshotAsync(h, "snap", "vm1");

        var content = await h.ReadAsync(T.VirtualMachineSnapshotContent, Ns, $"vmsnapshot-content-{ready.Metadata.Uid}");
        Assert.Equal("snap", content.At("spec.virtualMachineSnapshotName"));
        Assert.Equal("vm1", content.At("spec.source.virtualMachine.metadata.name"));
        Assert.Equal("Always", content.At("spec.source.virtualMachine.spec.runStrategy"));
        var backups = (content.Spec!["volumeBackups"] as JsonArray)!.OfType<JsonObject>().ToList();
        Assert.Equal(["root", "data"], backups.Select(b => (string?)b["volumeName"]));
        Assert.Equal(["vm1-root", "vm1-data"], backups.Select(b => b.At("persistentVolumeClaim.metadata.name")));
        Assert.Equal(
            [$"vmsnapshot-{ready.Metadata.Uid}-volume-root", $"vmsnapshot-{ready.Metadata.Uid}-volume-data"],
            backups.Select(b => (string?)b["volumeSnapshotName"]));
        Assert.Equal(["snapshot.kubevirt.io/vmsnapshotcontent-protection"], content.Finalizers());
        Assert.Empty(content.Metadata.OwnerReferences ?? []);
        var recorded = await h.WaitForEventAsync(Ns, "snap", "SuccessfulVirtualMachineSnapshotContentCreate");
        Assert.Equal($"Successfully created VirtualMachineSnapshotContent {content.Metadata.Name}", recorded.At("note"));
    }

    /// <summary>snapshot.go createVolumeSnapshot: named vmsnapshot-&lt;uid&gt;-volume-&lt;volume&gt;, labelled with the source VM, controlled by the content, of KubeVirt's class.</summary>
    [Fact]
    public async Task A_content_makes_a_volume_snapshot_per_backup_labelled_with_the_vm_and_controlled_by_the_content()
    {
        await using var h = await StartAsync();
        await RunningVmAsync(h, "vm1");

        var ready = await ReadySnapshotAsync(h, "snap", "vm1");

        var content = await h.ReadAsync(T.VirtualMachineSnapshotContent, Ns, ready.At("status.virtualMachineSnapshotContentName")!);
        var volumeSnapshot = await h.ReadAsync(T.VolumeSnapshot, Ns, $"vmsnapshot-{ready.Metadata.Uid}-volume-root");
        Assert.Equal("vm1-root", volumeSnapshot.At("spec.source.persistentVolumeClaimName"));
        Assert.Equal(SnapshotClass, volumeSnapshot.At("spec.volumeSnapshotClassName"));
        Assert.Equal("vm1", volumeSnapshot.Metadata.Labels["snapshot.kubevirt.io/source-vm-name"]);
        Assert.Equal(Ns, volumeSnapshot.Metadata.Labels["snapshot.kubevirt.io/source-vm-namespace"]);
        var owner = Assert.Single(volumeSnapshot.Metadata.OwnerReferences);
        Assert.Equal(("VirtualMachineSnapshotContent", content.Metadata.Uid, true), (owner.Kind, owner.Uid, owner.Controller == true));
        await h.WaitForEventAsync(Ns, content.Metadata.Name, "SuccessfulVolumeSnapshotCreate", $"Successfully created VolumeSnapshot {volumeSnapshot.Metadata.Name}");
    }

    /// <summary>snapshot.go updateVMSnapshotContent: creationTime once every VolumeSnapshot is cut, readyToUse once every one is ready, their statuses listed.</summary>
    [Fact]
    public async Task A_content_is_ready_once_every_volume_snapshot_is_ready()
    {
        await using var h = await StartAsync();
        await RunningVmAsync(h, "vm1");

        var ready = await ReadySnapshotAsync(h, "snap", "vm1");

        var content = await h.ReadAsync(T.VirtualMachineSnapshotContent, Ns, ready.At("status.virtualMachineSnapshotContentName")!);
        Assert.Equal("true", content.At("status.readyToUse"));
        Assert.NotNull(content.At("status.creationTime"));
        var statuses = (content.Status!["volumeSnapshotStatus"] as JsonArray)!.OfType<JsonObject>().ToList();
        Assert.Equal(2, statuses.Count);
        Assert.All(statuses, s => Assert.Equal("true", s.At("readyToUse")));
    }

    /// <summary>snapshot.go updateVMSnapshotContent: a VolumeSnapshot deleted after the content was created is "VolumeSnapshots (…) missing", not ready (VolumeSnapshotMissing).</summary>
    [Fact]
    public async Task Deleting_a_volume_snapshot_of_a_ready_snapshot_puts_its_content_in_error_and_not_ready()
    {
        await using var h = await StartAsync();
        await RunningVmAsync(h, "vm1");
        var ready = await ReadySnapshotAsync(h, "snap", "vm1");
        var contentName = ready.At("status.virtualMachineSnapshotContentName")!;
        var root = $"vmsnapshot-{ready.Metadata.Uid}-volume-root";

        await h.DeleteAsync(T.VolumeSnapshot, Ns, root);

        var broken = await h.WaitForAsync(T.VirtualMachineSnapshotContent, Ns, contentName, c => c.At("status.error.message") is not null, "status.error");
        Assert.Equal($"VolumeSnapshots ({root}) missing", broken.At("status.error.message"));
        Assert.Equal("false", broken.At("status.readyToUse"));
        await h.WaitForAsync(T.VirtualMachineSnapshot, Ns, "snap", s => !s.ReadyToUse() && s.At("status.error.message") is not null, "not ready");
        var missing = await h.WaitForEventAsync(Ns, contentName, "VolumeSnapshotMissing");
        Assert.Equal(("Warning", $"VolumeSnapshot {root} no longer exists"), (missing.At("type"), missing.At("note")));
    }

    /// <summary>snapshot.go updateVMSnapshotContent: the first VolumeSnapshot error is the content's ("VolumeSnapshot %s error: %s"), and the snapshot's.</summary>
    [Fact]
    public async Task A_volume_snapshot_error_becomes_the_content_and_snapshot_error()
    {
        await using var h = await StartAsync();
        await RunningVmAsync(h, "vm1");
        h.Options.Apply("fail=volumesnapshots");

        var created = await h.CreateAsync(T.VirtualMachineSnapshot, Snapshot("snap", Ns, "vm1"));

        var contentName = $"vmsnapshot-content-{created.Metadata.Uid}";
        var prefix = $"VolumeSnapshot vmsnapshot-{created.Metadata.Uid}-volume-root error: Failed to check and update snapshot content: ";
        var broken = await h.WaitForAsync(T.VirtualMachineSnapshotContent, Ns, contentName,
            c => c.At("status.error.message")?.StartsWith(prefix, StringComparison.Ordinal) == true, "the VolumeSnapshot's error");
        Assert.Equal("false", broken.At("status.readyToUse"));
        var snapshot = await h.WaitForAsync(T.VirtualMachineSnapshot, Ns, "snap",
            s => s.At("status.error.message")?.StartsWith(prefix, StringComparison.Ordinal) == true, "the content's error");
        Assert.Equal("False:In error state:", snapshot.Condition("Progressing"));
    }
}
