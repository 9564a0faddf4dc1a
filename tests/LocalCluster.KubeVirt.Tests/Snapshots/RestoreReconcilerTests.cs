using System.Text.Json.Nodes;
using static Vers.LocalCluster.KubeVirt.Tests.KubeVirtHarness;
using static Vers.LocalCluster.KubeVirt.Tests.KubeVirtSamples;
using static Vers.LocalCluster.KubeVirt.Tests.Snapshots.SnapshotScenarios;
using T = Vers.Api.KubeVirt.KubeVirtTypes;

namespace Vers.LocalCluster.KubeVirt.Tests.Snapshots;

/// <summary>KubeVirt v1.9's VirtualMachineRestore controller (pkg/storage/snapshot/restore.go) restoring into a new VM.</summary>
public sealed class RestoreReconcilerTests
{
    /// <summary>restore.go restoreVolumeName (RandomizeNames: restore-&lt;restore uid&gt;-&lt;volume&gt;) and CreateRestorePVCDef (data source, labels, annotations).</summary>
    [Fact]
    public async Task A_restore_makes_a_claim_per_backup_from_its_volume_snapshot_named_restore_uid_volume()
    {
        await using var h = await StartAsync();
        await RunningVmAsync(h, "vm1");
        var snapshot = await ReadySnapshotAsync(h, "snap", "vm1");

        var restore = await h.CreateAsync(T.VirtualMachineRestore, Restore("restore", Ns, "snap", "restored"));
        await h.WaitForAsync(T.VirtualMachineRestore, Ns, "restore", r => r.At("status.complete") == "true", "complete");

        var data = await h.ReadAsync(T.PersistentVolumeClaim, Ns, $"restore-{restore.Metadata.Uid}-data");
        Assert.Equal("VolumeSnapshot", data.At("spec.dataSource.kind"));
        Assert.Equal($"vmsnapshot-{snapshot.Metadata.Uid}-volume-data", data.At("spec.dataSourceRef.name"));
        Assert.Equal(DefaultClass, data.At("spec.storageClassName"));
        Assert.Equal("vm1", data.Metadata.Labels["restore.kubevirt.io/source-vm-name"]);
        Assert.Equal("restore", data.Annotation("restore.kubevirt.io/name"));
        Assert.Equal($"restore-{restore.Metadata.Uid}", data.Annotation("restore.kubevirt.io/lastRestoreUID"));
        Assert.Null(data.Annotation("pv.kubernetes.io/bind-completed"));
        Assert.NotNull(await h.GetAsync(T.PersistentVolumeClaim, Ns, $"restore-{restore.Metadata.Uid}-root"));
    }

    /// <summary>restore.go reconcile: complete with restoreTime, Ready True "Operation complete" and VirtualMachineRestoreComplete, without waiting for WaitForFirstConsumer claims.</summary>
    [Fact]
    public async Task A_restore_completes_without_waiting_for_wait_for_first_consumer_claims()
    {
        await using var h = await StartAsync();
        await RunningVmAsync(h, "vm1");
        await ReadySnapshotAsync(h, "snap", "vm1");

        var restore = await h.CreateAsync(T.VirtualMachineRestore, Restore("restore", Ns, "snap", "restored"));
        var complete = await h.WaitForAsync(T.VirtualMachineRestore, Ns, "restore", r => r.At("status.complete") == "true", "complete");

        Assert.NotNull(complete.At("status.restoreTime"));
        Assert.Equal("True:Operation complete:", complete.Condition("Ready"));
        Assert.Equal("False:Operation complete:", complete.Condition("Progressing"));
        Assert.Equal("Pending", (await h.ReadAsync(T.PersistentVolumeClaim, Ns, $"restore-{restore.Metadata.Uid}-data")).Phase());
        await h.WaitForEventAsync(Ns, "restore", "VirtualMachineRestoreComplete", "Successfully completed VirtualMachineRestore restore");
    }

    /// <summary>restore.go reconcile: claims of Immediate classes still Pending keep the restore at "Creating new PVCs" / "Waiting for new PVCs".</summary>
    [Fact]
    public async Task A_restore_waits_for_the_claims_of_immediate_classes_to_bind()
    {
        await using var h = await StartAsync();
        await h.CreateAsync(T.StorageClass, JsonNode.Parse("""
            { "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": { "name": "fast-csi" },
              "provisioner": "csi.localcluster.vers.sh", "volumeBindingMode": "Immediate", "reclaimPolicy": "Delete" }
            """)!.AsObject());
        await h.UntilSimulatorSeesAsync(T.StorageClass, null, "fast-csi", _ => true);
        await RunningVmAsync(h, "vm1", dataClass: "fast-csi");
        await ReadySnapshotAsync(h, "snap", "vm1");
        // From now on the driver takes its time to provision a volume.
        h.Options.SetDelay("PersistentVolumeClaim", TimeSpan.FromMinutes(10));

        await h.CreateAsync(T.VirtualMachineRestore, Restore("restore", Ns, "snap", "restored"));

        var waiting = await h.WaitForAsync(T.VirtualMachineRestore, Ns, "restore", r => r.Condition("Ready") == "False:Waiting for new PVCs:", "waiting for claims");
        Assert.Equal("True:Creating new PVCs:", waiting.Condition("Progressing"));
        Assert.Equal("false", waiting.At("status.complete"));
        Assert.Null(await h.GetAsync(T.VirtualMachine, Ns, "restored"));
    }

    /// <summary>restore.go generateRestoredVMSpec: the new VM is the snapshot's, halted, its volumes on the restored claims.</summary>
    [Fact]
    public async Task A_restore_creates_the_new_vm_halted_on_the_restored_claims()
    {
        await using var h = await StartAsync();
        await RunningVmAsync(h, "vm1");
        await ReadySnapshotAsync(h, "snap", "vm1");

        var restore = await h.CreateAsync(T.VirtualMachineRestore, Restore("restore", Ns, "snap", "restored"));
        await h.WaitForAsync(T.VirtualMachineRestore, Ns, "restore", r => r.At("status.complete") == "true", "complete");

        var vm = await h.ReadAsync(T.VirtualMachine, Ns, "restored");
        Assert.Equal("Halted", vm.At("spec.runStrategy"));
        Assert.Equal($"restore-{restore.Metadata.Uid}-data", vm.At("spec.template.spec.volumes.1.persistentVolumeClaim.claimName"));
        Assert.Equal("02:00:00:aa:bb:cc", vm.At("spec.template.spec.domain.devices.interfaces.0.macAddress"));
        Assert.Equal($"restore-{restore.Metadata.Uid}", vm.Annotation("restore.kubevirt.io/lastRestoreUID"));
    }

    /// <summary>
    /// restore.go createDataVolume / updateVMRestoreRestores: a dataVolumeTemplate volume gets a pre-populated DataVolume over its restored claim
    /// (cdi.kubevirt.io/storage.populatedFor), which CDI adopts; the new VM's template takes the new name.
    /// </summary>
    [Fact]
    public async Task A_data_volume_template_volume_is_restored_as_a_pre_populated_data_volume_owning_its_claim()
    {
        await using var h = await StartAsync();
        await RunningVmAsync(h, "vm1");
        await ReadySnapshotAsync(h, "snap", "vm1");

        var restore = await h.CreateAsync(T.VirtualMachineRestore, Restore("restore", Ns, "snap", "restored"));
        var name = $"restore-{restore.Metadata.Uid}-root";
        var dv = await h.WaitForAsync(T.DataVolume, Ns, name, d => d.Phase() == "Succeeded", "Succeeded");

        Assert.Equal("true", dv.Annotation("cdi.kubevirt.io/storage.prePopulated"));
        Assert.Equal("restore", dv.Annotation("restore.kubevirt.io/name"));
        var claim = await h.WaitForAsync(T.PersistentVolumeClaim, Ns, name, c => c.Metadata.OwnerReferences?.Count > 0, "adopted");
        Assert.Equal(name, claim.Annotation("cdi.kubevirt.io/storage.populatedFor"));
        Assert.Equal(("DataVolume", dv.Metadata.Uid), (claim.Metadata.OwnerReferences[0].Kind, claim.Metadata.OwnerReferences[0].Uid));
        await h.WaitForAsync(T.VirtualMachineRestore, Ns, "restore", r => r.At("status.complete") == "true", "complete");
        var vm = await h.ReadAsync(T.VirtualMachine, Ns, "restored");
        Assert.Equal(name, vm.At("spec.dataVolumeTemplates.0.metadata.name"));
        Assert.Equal(name, vm.At("spec.template.spec.volumes.0.dataVolume.name"));
    }

    /// <summary>restore.go volumeOwnershipPolicy Vm (updateRestorePVCOwnership): a claim the source VM owned is owned by the new VM; a standalone one by nobody.</summary>
    [Fact]
    public async Task A_restored_claim_is_owned_by_the_new_vm_only_when_the_source_vm_owned_the_backed_up_claim()
    {
        await using var h = await StartAsync();
        await h.CreateAsync(T.PersistentVolumeClaim, Claim("standalone", Ns));
        var source = await h.CreateAsync(T.VirtualMachine, VirtualMachine("vm1", Ns, runStrategy: "Always").WithVolume(ClaimVolume("extra", "standalone")));
        var owned = Claim("vm1-data", Ns);
        owned["metadata"]!["ownerReferences"] = new JsonArray(new JsonObject
        {
            ["apiVersion"] = "kubevirt.io/v1", ["kind"] = "VirtualMachine", ["name"] = "vm1", ["uid"] = source.Metadata.Uid, ["controller"] = true,
        });
        await h.CreateAsync(T.PersistentVolumeClaim, owned);
        await h.WaitForAsync(T.VirtualMachine, Ns, "vm1", vm => vm.PrintableStatus() == "Running", "Running");
        await ReadySnapshotAsync(h, "snap", "vm1");

        var restore = await h.CreateAsync(T.VirtualMachineRestore, Restore("restore", Ns, "snap", "restored"));
        await h.WaitForAsync(T.VirtualMachineRestore, Ns, "restore", r => r.At("status.complete") == "true", "complete");

        var restored = await h.ReadAsync(T.VirtualMachine, Ns, "restored");
        var data = await h.ReadAsync(T.PersistentVolumeClaim, Ns, $"restore-{restore.Metadata.Uid}-data");
        var owner = Assert.Single(data.Metadata.OwnerReferences);
        Assert.Equal(("VirtualMachine", restored.Metadata.Uid, true), (owner.Kind, owner.Uid, owner.Controller == true));
        var extra = await h.ReadAsync(T.PersistentVolumeClaim, Ns, $"restore-{restore.Metadata.Uid}-extra");
        Assert.Empty(extra.Metadata.OwnerReferences ?? []);
    }

    /// <summary>restore.go reconcile → doUpdateError: a missing snapshot is reported in Progressing/Ready and VirtualMachineRestoreError, and retried.</summary>
    [Fact]
    public async Task A_restore_of_a_missing_snapshot_reports_the_error()
    {
        await using var h = await StartAsync();

        await h.CreateAsync(T.VirtualMachineRestore, Restore("restore", Ns, "missing", "restored"));

        var failing = await h.WaitForAsync(T.VirtualMachineRestore, Ns, "restore", r => r.Condition("Ready") is not null, "conditions");
        Assert.Equal($"False:VMSnapshot {Ns}/missing does not exist:", failing.Condition("Ready"));
        Assert.Equal($"False:VMSnapshot {Ns}/missing does not exist:", failing.Condition("Progressing"));
        Assert.Equal("false", failing.At("status.complete"));
        var error = await h.WaitForEventAsync(Ns, "restore", "VirtualMachineRestoreError");
        Assert.Equal(("Warning", $"VirtualMachineRestore encountered error VMSnapshot {Ns}/missing does not exist"), (error.At("type"), error.At("note")));
    }

    /// <summary>restore.go reconcile: a target VM that exists and is not the snapshot's source is refused.</summary>
    [Fact]
    public async Task A_restore_onto_an_existing_vm_that_is_not_the_source_is_refused()
    {
        await using var h = await StartAsync();
        await RunningVmAsync(h, "vm1");
        await ReadySnapshotAsync(h, "snap", "vm1");
        await h.CreateAsync(T.VirtualMachine, VirtualMachineOnClaim("other", Ns, "missing"));
        await h.UntilSimulatorSeesAsync(T.VirtualMachine, Ns, "other", _ => true);

        await h.CreateAsync(T.VirtualMachineRestore, Restore("restore", Ns, "snap", "other"));

        await h.WaitForAsync(T.VirtualMachineRestore, Ns, "restore",
            r => r.Condition("Ready") == "False:restore source and restore target are different but restore target already exists:", "refused");
    }
}
