using System.Text.Json.Nodes;
using Vers.Api.KubeVirt;
using static Vers.LocalCluster.KubeVirt.Tests.KubeVirtHarness;
using static Vers.LocalCluster.KubeVirt.Tests.KubeVirtSamples;
using static Vers.LocalCluster.KubeVirt.Tests.Snapshots.SnapshotScenarios;
using T = Vers.Api.KubeVirt.KubeVirtTypes;

namespace Vers.LocalCluster.KubeVirt.Tests.Snapshots;

/// <summary>KubeVirt v1.9's VirtualMachineClone controller (pkg/virt-controller/watch/clone) of a VirtualMachineSnapshot, with the restore it runs.</summary>
public sealed class CloneReconcilerTests
{
    /// <summary>clone.go syncTargetVM / updateStatus: RestoreInProgress, then Succeeded once the restore is done and the target VM exists (Ready True "Ready").</summary>
    [Fact]
    public async Task A_clone_of_a_snapshot_restores_it_and_succeeds_once_the_target_vm_exists()
    {
        await using var h = await StartAsync();
        await RunningVmAsync(h, "vm1");
        await ReadySnapshotAsync(h, "snap", "vm1");
        await using var recording = await h.RecordAsync(T.VirtualMachineClone, Ns, "clone");

        var clone = await h.CreateAsync(T.VirtualMachineClone, Clone("clone", Ns, "snap", "fork"));
        var versions = await recording.UntilAsync(c => c.Phase() == "Succeeded");

        var phases = Sequence(versions, c => c.Phase());
        Assert.Equal("RestoreInProgress", phases[0]);
        Assert.Equal("Succeeded", phases[^1]);
        Assert.DoesNotContain("Failed", phases);
        var done = versions[^1];
        Assert.Equal("fork", done.At("status.targetName"));
        Assert.Equal("True:Ready:", done.Condition("Ready"));
        Assert.Equal("False:Ready:", done.Condition("Progressing"));
        await h.WaitForEventAsync(Ns, "clone", "RestoreCreated", $"created restore tmp-restore-{clone.Metadata.Uid} for clone clone");
        await h.WaitForEventAsync(Ns, "clone", "TargetVMCreated", "created target VM fork for clone clone");
    }

    /// <summary>restore.go generateRestoredVMSpec: the clone's target is a new VM, halted.</summary>
    [Fact]
    public async Task A_clone_creates_its_target_vm_halted()
    {
        await using var h = await StartAsync();
        await RunningVmAsync(h, "vm1");
        await ReadySnapshotAsync(h, "snap", "vm1");

        await h.CreateAsync(T.VirtualMachineClone, Clone("clone", Ns, "snap", "fork"));

        var fork = await h.WaitForAsync(T.VirtualMachine, Ns, "fork", vm => vm.PrintableStatus() == "Stopped", "Stopped");
        Assert.Equal("Halted", fork.At("spec.runStrategy"));
        Assert.Equal("demo", fork.Metadata.Labels["app"]);
    }

    /// <summary>
    /// clone vm-target.go generatePatches (MACs, SMBIOS serial and firmware UUID replaced by ""), applied by restore.go to the new VM, which is
    /// written through KubeVirt's Go types: the emptied fields are omitted (omitempty).
    /// </summary>
    [Fact]
    public async Task A_clone_blanks_the_mac_addresses_and_the_firmware_serial_and_uuid_of_its_target()
    {
        await using var h = await StartAsync();
        await RunningVmAsync(h, "vm1");
        await ReadySnapshotAsync(h, "snap", "vm1");

        await h.CreateAsync(T.VirtualMachineClone, Clone("clone", Ns, "snap", "fork"));

        var fork = await h.WaitForAsync(T.VirtualMachine, Ns, "fork", _ => true, "the target VM");
        var domain = fork.Spec!["template"]!["spec"]!["domain"]!;
        Assert.Null(domain.At("devices.interfaces.0.macAddress"));
        Assert.Equal("default", domain.At("devices.interfaces.0.name"));
        Assert.Null(domain.At("firmware.serial"));
        Assert.Null(domain.At("firmware.uuid"));
    }

    /// <summary>
    /// clone types.go volumeNamePolicy PrefixTargetName → restore.go restoreVolumeName (library-go naming.GetName, KubeVirtNaming.PrefixTargetName)
    /// and CreateRestorePVCDef: claims restored from the VolumeSnapshots requesting max(backed-up request, restoreSize).
    /// </summary>
    [Fact]
    public async Task A_clone_with_PrefixTargetName_restores_claims_named_after_the_target_and_volume()
    {
        await using var h = await StartAsync();
        await RunningVmAsync(h, "vm1");
        var snapshot = await ReadySnapshotAsync(h, "snap", "vm1");
        var clone = Clone("clone", Ns, "snap", "fork");
        clone["spec"]!["volumeNamePolicy"] = "PrefixTargetName";

        await h.CreateAsync(T.VirtualMachineClone, clone);
        await h.WaitForAsync(T.VirtualMachineClone, Ns, "clone", c => c.Phase() == "Succeeded", "Succeeded");

        var root = await h.ReadAsync(T.PersistentVolumeClaim, Ns, KubeVirtNaming.PrefixTargetName("fork", "root"));
        Assert.Equal("fork-root", root.Metadata.Name);
        Assert.Equal($"vmsnapshot-{snapshot.Metadata.Uid}-volume-root", root.At("spec.dataSource.name"));
        Assert.Equal("VolumeSnapshot", root.At("spec.dataSourceRef.kind"));
        // The backed-up claim asked for 5Gi plus CDI's overhead (5690831668 bytes); the snapshot restores 6Gi.
        Assert.Equal("6Gi", root.At("spec.resources.requests.storage"));
        var data = await h.ReadAsync(T.PersistentVolumeClaim, Ns, KubeVirtNaming.PrefixTargetName("fork", "data"));
        Assert.Equal("1Gi", data.At("spec.resources.requests.storage"));
        var fork = await h.ReadAsync(T.VirtualMachine, Ns, "fork");
        Assert.Equal("fork-root", fork.At("spec.template.spec.volumes.0.dataVolume.name"));
        Assert.Equal("fork-data", fork.At("spec.template.spec.volumes.1.persistentVolumeClaim.claimName"));
    }

    /// <summary>restore.go generateRestoredVMSpec: a standalone DataVolume volume (not from dataVolumeTemplates) becomes a persistentVolumeClaim volume.</summary>
    [Fact]
    public async Task A_clone_turns_a_standalone_data_volume_volume_into_a_claim_volume()
    {
        await using var h = await StartAsync();

        await CloneOfVmWithStandaloneDataVolumeAsync(h);

        var fork = await h.ReadAsync(T.VirtualMachine, Ns, "fork");
        var extra = (fork.Spec!["template"]!["spec"]!["volumes"] as JsonArray)!.OfType<JsonObject>().Single(v => (string?)v["name"] == "extra");
        Assert.Equal("fork-extra", extra.At("persistentVolumeClaim.claimName"));
        Assert.Null(extra["dataVolume"]);
        Assert.Null(await h.GetAsync(T.DataVolume, Ns, "fork-extra"));
    }

    /// <summary>restore.go volumeOwnershipPolicy Vm (updateRestorePVCOwnership): a claim backed up from a standalone DataVolume was not the source VM's, so its restored claim has no owner.</summary>
    [Fact]
    public async Task A_clone_leaves_the_claim_restored_from_a_standalone_data_volume_without_an_owner()
    {
        await using var h = await StartAsync();

        await CloneOfVmWithStandaloneDataVolumeAsync(h);

        var extra = await h.ReadAsync(T.PersistentVolumeClaim, Ns, "fork-extra");
        Assert.Empty(extra.Metadata.OwnerReferences ?? []);
    }

    /// <summary>
    /// clone.go verifyPVCBound, cleanupRestore: the temporary restore is kept until every restored claim is Bound — on WaitForFirstConsumer storage,
    /// once the target VM starts — then deleted (PVCBound) and status.restoreName cleared.
    /// </summary>
    [Fact]
    public async Task A_clone_deletes_its_temporary_restore_once_the_claims_bind_when_the_target_vm_starts()
    {
        await using var h = await StartAsync();
        await RunningVmAsync(h, "vm1");
        await ReadySnapshotAsync(h, "snap", "vm1");
        var clone = await h.CreateAsync(T.VirtualMachineClone, Clone("clone", Ns, "snap", "fork"));
        var succeeded = await h.WaitForAsync(T.VirtualMachineClone, Ns, "clone", c => c.Phase() == "Succeeded", "Succeeded");
        var restoreName = $"tmp-restore-{clone.Metadata.Uid}";
        Assert.Equal(restoreName, succeeded.At("status.restoreName"));
        var restore = await h.ReadAsync(T.VirtualMachineRestore, Ns, restoreName);
        foreach (var restored in (restore.Status!["restores"] as JsonArray)!.OfType<JsonObject>())
        {
            Assert.Equal("Pending", (await h.ReadAsync(T.PersistentVolumeClaim, Ns, restored.At("persistentVolumeClaim")!)).Phase());
        }

        await h.PatchAsync(T.VirtualMachine, Ns, "fork", new JsonObject { ["spec"] = new JsonObject { ["runStrategy"] = "Always" } });

        await h.WaitForAsync(T.VirtualMachine, Ns, "fork", vm => vm.PrintableStatus() == "Running", "Running");
        await h.WaitForDeletionAsync(T.VirtualMachineRestore, Ns, restoreName);
        var cleaned = await h.WaitForAsync(T.VirtualMachineClone, Ns, "clone", c => c.At("status.restoreName") is null, "restoreName cleared");
        Assert.Equal("Succeeded", cleaned.Phase());
        await h.WaitForEventAsync(Ns, "clone", "PVCBound", "all PVC for clone clone are bound");
    }

    /// <summary>clone.go retrieveCloneInfo: a missing source snapshot leaves the clone pending (SourceDoesNotExist), not Failed, its phase unchanged.</summary>
    [Fact]
    public async Task A_clone_of_a_missing_snapshot_stays_pending_with_SourceDoesNotExist()
    {
        await using var h = await StartAsync();

        await h.CreateAsync(T.VirtualMachineClone, Clone("clone", Ns, "missing", "fork"));

        var pending = await h.WaitForAsync(T.VirtualMachineClone, Ns, "clone", c => c.Condition("Ready") is not null, "conditions");
        Assert.Equal("False:Pending:", pending.Condition("Progressing"));
        Assert.Equal($"False:Source doesnt exist: VirtualMachineSnapshot {Ns}/missing:", pending.Condition("Ready"));
        Assert.True(string.IsNullOrEmpty(pending.Phase()), $"phase {pending.Phase()}");
        var recorded = await h.WaitForEventAsync(Ns, "clone", "SourceDoesNotExist");
        Assert.Equal("Normal", recorded.At("type"));
    }

    /// <summary>clone.go verifySnapshotContent: a claim-backed volume without a backup (storage without snapshots) fails the clone, SnapshotContentInvalid.</summary>
    [Fact]
    public async Task A_clone_of_a_snapshot_missing_a_volume_backup_fails_with_SnapshotContentInvalid()
    {
        await using var h = await StartAsync();
        await RunningVmAsync(h, "vm1", dataClass: NoSnapshotClass);
        await ReadySnapshotAsync(h, "snap", "vm1");

        await h.CreateAsync(T.VirtualMachineClone, Clone("clone", Ns, "snap", "fork"));

        var failed = await h.WaitForAsync(T.VirtualMachineClone, Ns, "clone", c => c.Phase() == "Failed", "Failed");
        Assert.Equal("False:volume data is not backed up in snapshot snap:", failed.Condition("Ready"));
        Assert.Equal("False:Failed:", failed.Condition("Progressing"));
        var invalid = await h.WaitForEventAsync(Ns, "clone", "SnapshotContentInvalid");
        Assert.Equal("volume data is not backed up in snapshot snap", invalid.At("note"));
        Assert.Null(await h.GetAsync(T.VirtualMachine, Ns, "fork"));
    }

    /// <summary>clone.go createSnapshotFromVm / generateSnapshot: a VM source is snapshotted into tmp-snapshot-&lt;clone uid&gt;, controlled by the clone.</summary>
    [Fact]
    public async Task A_clone_of_a_vm_snapshots_it_into_a_temporary_snapshot_and_succeeds()
    {
        await using var h = await StartAsync();
        await RunningVmAsync(h, "vm1");

        var clone = await h.CreateAsync(T.VirtualMachineClone, CloneOfVm("clone", Ns, "vm1", "fork"));
        await h.WaitForAsync(T.VirtualMachineClone, Ns, "clone", c => c.Phase() == "Succeeded", "Succeeded");

        var snapshotName = $"tmp-snapshot-{clone.Metadata.Uid}";
        var snapshot = await h.ReadAsync(T.VirtualMachineSnapshot, Ns, snapshotName);
        Assert.Equal("vm1", snapshot.At("spec.source.name"));
        var owner = Assert.Single(snapshot.Metadata.OwnerReferences);
        Assert.Equal(("VirtualMachineClone", clone.Metadata.Uid, true), (owner.Kind, owner.Uid, owner.Controller == true));
        await h.WaitForEventAsync(Ns, "clone", "SnapshotCreated", $"created snapshot {snapshotName} for clone clone");
    }

    /// <summary>clone.go validateVolumeSnapshotStatus: a VM source with a claim-backed volume KubeVirt cannot snapshot keeps the clone pending (VMVolumeSnapshotsInvalid), without a snapshot.</summary>
    [Fact]
    public async Task A_clone_of_a_vm_with_a_volume_that_cannot_be_snapshotted_stays_pending()
    {
        await using var h = await StartAsync();
        await RunningVmAsync(h, "vm1", dataClass: NoSnapshotClass);

        var clone = await h.CreateAsync(T.VirtualMachineClone, CloneOfVm("clone", Ns, "vm1", "fork"));

        var pending = await h.WaitForAsync(T.VirtualMachineClone, Ns, "clone",
            c => c.Condition("Ready") == "False:Virtual Machine volume data does not support snapshots:", "pending");
        Assert.Equal("False:Pending:", pending.Condition("Progressing"));
        Assert.True(string.IsNullOrEmpty(pending.Phase()), $"phase {pending.Phase()}");
        await h.WaitForEventAsync(Ns, "clone", "VMVolumeSnapshotsInvalid", "Virtual Machine volume data does not support snapshots");
        Assert.Null(await h.GetAsync(T.VirtualMachineSnapshot, Ns, $"tmp-snapshot-{clone.Metadata.Uid}"));
    }

    /// <summary>clone.go (vmHandler): a succeeded clone whose target VM is deleted is deleted.</summary>
    [Fact]
    public async Task A_succeeded_clone_is_deleted_with_its_target_vm()
    {
        await using var h = await StartAsync();
        await RunningVmAsync(h, "vm1");
        await ReadySnapshotAsync(h, "snap", "vm1");
        await h.CreateAsync(T.VirtualMachineClone, Clone("clone", Ns, "snap", "fork"));
        await h.WaitForAsync(T.VirtualMachineClone, Ns, "clone", c => c.Phase() == "Succeeded", "Succeeded");

        await h.DeleteAsync(T.VirtualMachine, Ns, "fork");

        await h.WaitForDeletionAsync(T.VirtualMachineClone, Ns, "clone");
    }

    /// <summary>
    /// vm1 runs with volume "extra" from a standalone DataVolume (not from its dataVolumeTemplates); a clone of its ready
    /// snapshot "snap" to VM "fork", volumes named after the target, has succeeded.
    /// </summary>
    private static async Task CloneOfVmWithStandaloneDataVolumeAsync(KubeVirtHarness h)
    {
        await h.CreateAsync(T.DataVolume, BlankDataVolume("vm1-extra", Ns, immediate: true));
        await RunningVmAsync(h, "vm1", VirtualMachine("vm1", Ns, runStrategy: "Always").WithVolume(DataVolumeVolume("extra", "vm1-extra")));
        await ReadySnapshotAsync(h, "snap", "vm1");
        var clone = Clone("clone", Ns, "snap", "fork");
        clone["spec"]!["volumeNamePolicy"] = "PrefixTargetName";
        await h.CreateAsync(T.VirtualMachineClone, clone);
        await h.WaitForAsync(T.VirtualMachineClone, Ns, "clone", c => c.Phase() == "Succeeded", "Succeeded");
    }
}
