using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Vers.LocalCluster.KubeVirt;
using static Vers.LocalCluster.KubeVirt.Tests.KubeVirtHarness;
using static Vers.LocalCluster.KubeVirt.Tests.KubeVirtSamples;
using static Vers.LocalCluster.KubeVirt.Tests.Snapshots.SnapshotScenarios;
using T = Vers.Api.KubeVirt.KubeVirtTypes;

namespace Vers.LocalCluster.KubeVirt.Tests.Snapshots;

/// <summary>KubeVirt v1.9's VirtualMachineSnapshot controller (pkg/storage/snapshot/snapshot.go, source.go).</summary>
public sealed class SnapshotReconcilerTests
{
    /// <summary>source.go Lock / verifyVolumes: a claim that is not Bound keeps the source unlocked, with the reason in Progressing.</summary>
    [Fact]
    public async Task A_snapshot_of_a_vm_whose_claims_are_not_bound_does_not_lock_it_and_says_why()
    {
        await using var h = await StartAsync();
        await h.CreateAsync(T.PersistentVolumeClaim, Claim("vm1-data", Ns));
        await h.CreateAsync(T.VirtualMachine, VirtualMachine("vm1", Ns));

        await h.CreateAsync(T.VirtualMachineSnapshot, Snapshot("snap", Ns, "vm1"));
        var waiting = await h.WaitForAsync(T.VirtualMachineSnapshot, Ns, "snap",
            s => s.Condition("Progressing")?.Contains("volume not bound", StringComparison.Ordinal) == true, "not locked");

        Assert.Equal("False:Source not locked source org-a/vm1 volume not bound: vm1-root:", waiting.Condition("Progressing"));
        Assert.Equal("InProgress", waiting.Phase());
        var vm = await h.ReadAsync(T.VirtualMachine, Ns, "vm1");
        Assert.Null(vm.At("status.snapshotInProgress"));
        Assert.DoesNotContain(SourceFinalizer, vm.Finalizers());
    }

    /// <summary>source.go verifyVolumes with CDI's IsPopulated: a claim controlled by a DataVolume that has not succeeded keeps the source unlocked.</summary>
    [Fact]
    public async Task A_snapshot_of_a_vm_whose_data_volume_is_not_populated_does_not_lock_it()
    {
        await using var h = await StartAsync(new SimulatorOptions().SetDelay("DataVolume", TimeSpan.FromMinutes(10)));
        await h.CreateAsync(T.DataVolume, BlankDataVolume("disk", Ns, immediate: true));
        await h.WaitForAsync(T.PersistentVolumeClaim, Ns, "disk", c => c.Phase() == "Bound", "Bound");
        var vm = VirtualMachineOnClaim("vm1", Ns, "unused");
        vm["spec"]!["template"]!["spec"]!["volumes"] = new JsonArray(DataVolumeVolume("disk", "disk"));
        await h.CreateAsync(T.VirtualMachine, vm);

        await h.CreateAsync(T.VirtualMachineSnapshot, Snapshot("snap", Ns, "vm1"));

        await h.WaitForAsync(T.VirtualMachineSnapshot, Ns, "snap",
            s => s.Condition("Progressing") == "False:Source not locked source org-a/vm1 volume not populated: disk:", "not populated");
    }

    /// <summary>snapshot.go updateVMSnapshot → source.go Lock: status.snapshotInProgress and the source-protection finalizer while the snapshot is taken.</summary>
    [Fact]
    public async Task A_snapshot_locks_its_source_vm_while_it_is_taken()
    {
        await using var h = await StartAsync(new SimulatorOptions().SetDelay("VirtualMachineSnapshot", TimeSpan.FromMinutes(10)));
        await RunningVmAsync(h, "vm1");

        await h.CreateAsync(T.VirtualMachineSnapshot, Snapshot("snap", Ns, "vm1"));

        // Locked is both: the status names the snapshot and the finalizer protects the source (source.go Locked).
        await h.WaitForAsync(T.VirtualMachine, Ns, "vm1",
            vm => vm.At("status.snapshotInProgress") == "snap" && vm.Finalizers().Contains(SourceFinalizer), "locked");
        var taking = await h.WaitForAsync(T.VirtualMachineSnapshot, Ns, "snap",
            s => s.Condition("Progressing")?.StartsWith("True:", StringComparison.Ordinal) == true, "Progressing");
        Assert.Equal("True:Source locked and operation in progress:", taking.Condition("Progressing"));
        Assert.Equal("InProgress", taking.Phase());
    }

    /// <summary>source.go Lock: a second snapshot waits while another holds the VM ("snapshot %q in progress").</summary>
    [Fact]
    public async Task A_second_snapshot_waits_while_another_snapshot_holds_the_vm()
    {
        await using var h = await StartAsync(new SimulatorOptions().SetDelay("VirtualMachineSnapshot", TimeSpan.FromMinutes(10)));
        await RunningVmAsync(h, "vm1");
        await h.CreateAsync(T.VirtualMachineSnapshot, Snapshot("first", Ns, "vm1"));
        await h.WaitForAsync(T.VirtualMachine, Ns, "vm1", vm => vm.At("status.snapshotInProgress") == "first", "locked");

        await h.CreateAsync(T.VirtualMachineSnapshot, Snapshot("second", Ns, "vm1"));

        await h.WaitForAsync(T.VirtualMachineSnapshot, Ns, "second",
            s => s.Condition("Progressing") == "False:Source not locked snapshot \"first\" in progress:", "held by first");
    }

    /// <summary>snapshot.go updateSnapshotStatus: Succeeded once the content has a creation time, ready with it; then canUnlockSource → Unlock.</summary>
    [Fact]
    public async Task A_snapshot_succeeds_is_ready_to_use_and_unlocks_its_source()
    {
        await using var h = await StartAsync();
        var vm = await RunningVmAsync(h, "vm1");
        await using var recording = await h.RecordAsync(T.VirtualMachineSnapshot, Ns, "snap");

        var created = await h.CreateAsync(T.VirtualMachineSnapshot, Snapshot("snap", Ns, "vm1"));
        var versions = await recording.UntilAsync(s => s.ReadyToUse());

        Assert.All(versions.Where(s => s.ReadyToUse()), s => Assert.Equal("Succeeded", s.Phase()));
        var ready = versions[^1];
        Assert.Equal($"vmsnapshot-content-{created.Metadata.Uid}", ready.At("status.virtualMachineSnapshotContentName"));
        Assert.Equal(vm.Metadata.Uid, ready.At("status.sourceUID"));
        Assert.NotNull(ready.At("status.creationTime"));
        Assert.Equal("False:Operation complete:", ready.Condition("Progressing"));
        Assert.Equal("True:Ready:", ready.Condition("Ready"));
        Assert.Contains("snapshot.kubevirt.io/vmsnapshot-protection", ready.Finalizers());
        await UnlockedAsync(h, "vm1");
    }

    /// <summary>snapshot.go updateSnapshotStatus / indications: a snapshot of a running VM without a guest agent is Online and NoGuestAgent.</summary>
    [Fact]
    public async Task A_snapshot_of_a_running_vm_without_a_guest_agent_is_indicated_Online_and_NoGuestAgent()
    {
        await using var h = await StartAsync();
        await RunningVmAsync(h, "vm1");

        var ready = await ReadySnapshotAsync(h, "snap", "vm1");

        Assert.Equal(["Online", "NoGuestAgent"], ready.Status!["indications"].Strings());
        Assert.Equal(
            "Guest agent was not available. Snapshot is crash-consistent and may not be application-consistent.",
            ready.At("status.sourceIndications.1.message"));
    }

    /// <summary>snapshot.go updateSnapshotSnapshotableVolumes: claim-backed volumes included; containerDisk and cloud-init volumes excluded without making the snapshot partial.</summary>
    [Fact]
    public async Task Snapshot_volumes_include_the_claim_backed_volumes_and_exclude_container_disk_and_cloud_init()
    {
        await using var h = await StartAsync();
        await RunningVmAsync(h, "vm1", VirtualMachine("vm1", Ns, runStrategy: "Always").WithVolume(ContainerDiskVolume("image")));

        var ready = await ReadySnapshotAsync(h, "snap", "vm1");

        Assert.Equal(["root", "data"], ready.Status!["snapshotVolumes"]!["includedVolumes"].Strings());
        Assert.Equal(["cloudinit", "image"], ready.Status!["snapshotVolumes"]!["excludedVolumes"].Strings());
        Assert.DoesNotContain("PartialSnapshot", ready.Status!["indications"].Strings());
    }

    /// <summary>snapshot.go getSnapshotPVC (no VolumeSnapshotClass → excluded silently) and updateSnapshotSnapshotableVolumes (PartialSnapshot).</summary>
    [Fact]
    public async Task A_claim_on_storage_without_a_snapshot_class_is_excluded_and_the_snapshot_is_partial()
    {
        await using var h = await StartAsync();
        await RunningVmAsync(h, "vm1", dataClass: NoSnapshotClass);

        var ready = await ReadySnapshotAsync(h, "snap", "vm1");

        Assert.Equal(["root"], ready.Status!["snapshotVolumes"]!["includedVolumes"].Strings());
        Assert.Equal(["data", "cloudinit"], ready.Status!["snapshotVolumes"]!["excludedVolumes"].Strings());
        Assert.Contains("PartialSnapshot", ready.Status!["indications"].Strings());
        var partial = (ready.Status!["sourceIndications"] as JsonArray)!.OfType<JsonObject>().Single(i => (string?)i["indication"] == "PartialSnapshot");
        Assert.Equal(
            "Not all snapshotable volumes were included in the snapshot. Check status.snapshotVolumes for excluded volumes and VM VolumeSnapshotStatus for details.",
            (string?)partial["message"]);
    }

    /// <summary><c>--sim-fault exclude-volumes</c>: every volume left out as on storage without a VolumeSnapshotClass; the snapshot is partial.</summary>
    [Fact]
    public async Task With_fault_exclude_volumes_every_volume_is_excluded_and_the_snapshot_is_partial()
    {
        await using var h = await StartAsync(new SimulatorOptions().Apply("exclude-volumes"));
        await RunningVmAsync(h, "vm1");

        var ready = await ReadySnapshotAsync(h, "snap", "vm1");

        Assert.Empty(ready.Status!["snapshotVolumes"]!["includedVolumes"].Strings());
        Assert.Equal(["root", "data", "cloudinit"], ready.Status!["snapshotVolumes"]!["excludedVolumes"].Strings());
        Assert.Contains("PartialSnapshot", ready.Status!["indications"].Strings());
    }

    /// <summary>
    /// snapshot.go updateSnapshotStatus (Failed once time.Until(creationTimestamp + failureDeadline) &lt; 0: Failure "snapshot deadline exceeded",
    /// Progressing "Operation failed") and updateVMSnapshot (a failed snapshot unlocks its source).
    /// </summary>
    [Fact]
    public async Task A_snapshot_past_its_failure_deadline_fails_and_unlocks_its_source()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await StartAsync(new SimulatorOptions().SetDelay("VirtualMachineSnapshot", TimeSpan.FromMinutes(10)), time);
        await RunningVmAsync(h, "vm1");
        var snapshot = Snapshot("snap", Ns, "vm1");
        snapshot["spec"]!["failureDeadline"] = "1m";
        await h.CreateAsync(T.VirtualMachineSnapshot, snapshot);
        await h.WaitForAsync(T.VirtualMachine, Ns, "vm1",
            vm => vm.At("status.snapshotInProgress") == "snap" && vm.Finalizers().Contains(SourceFinalizer), "locked");

        time.Advance(TimeSpan.FromMinutes(2));
        // The controller requeues the snapshot for its deadline on the fake clock; the requeue may be set just after the
        // advance, so touch the snapshot to have it looked at again on the moved clock.
        await h.PatchAsync(T.VirtualMachineSnapshot, Ns, "snap", new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["touched"] = "1" } } });

        var failed = await h.WaitForAsync(T.VirtualMachineSnapshot, Ns, "snap", s => s.Phase() == "Failed", "Failed");
        Assert.Equal("True:snapshot deadline exceeded:", failed.Condition("Failure"));
        Assert.Equal("False:Operation failed:", failed.Condition("Progressing"));
        Assert.Equal("false", failed.At("status.readyToUse"));
        await UnlockedAsync(h, "vm1");
    }

    /// <summary>
    /// source.go Unlock removes the source-protection finalizer before it clears <c>snapshotInProgress</c>: a finalizer
    /// removal that fails (a conflict with a concurrent write, e.g. the VM being deleted) is retried while the VM still
    /// names the snapshot, so the VM is never left held by a lock nobody owns.
    /// </summary>
    [Fact]
    public async Task Deleting_a_snapshot_in_progress_unlocks_its_vm_even_when_the_first_finalizer_removal_conflicts()
    {
        await using var h = await StartAsync(new SimulatorOptions().SetDelay("VirtualMachineSnapshot", TimeSpan.FromMinutes(10)));
        await RunningVmAsync(h, "vm1");
        await h.CreateAsync(T.VirtualMachineSnapshot, Snapshot("snap", Ns, "vm1"));
        await h.WaitForAsync(T.VirtualMachine, Ns, "vm1",
            vm => vm.At("status.snapshotInProgress") == "snap" && vm.Finalizers().Contains(SourceFinalizer), "locked");
        var patches = h.Server.Requests.Count("patch", "virtualmachines");
        var conflict = h.Server.Faults.Add(new Vers.LocalCluster.ApiServer.FaultRule { Verb = "patch", Resource = "virtualmachines", ErrorRate = 1, Kind = Vers.LocalCluster.ApiServer.FaultKind.Conflict });

        await h.DeleteAsync(T.VirtualMachineSnapshot, Ns, "snap");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (h.Server.Requests.Count("patch", "virtualmachines") == patches)
        {
            Assert.True(DateTime.UtcNow < deadline, "the simulator never tried to unlock the VM");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        h.Server.Faults.Remove(conflict);
        await UnlockedAsync(h, "vm1");
    }

    /// <summary><c>--sim-fault fail=virtualmachinesnapshots</c>: a new snapshot fails as its deadline would.</summary>
    [Fact]
    public async Task With_fault_fail_virtualmachinesnapshots_a_snapshot_fails_with_deadline_exceeded()
    {
        await using var h = await StartAsync(new SimulatorOptions().Apply("fail=virtualmachinesnapshots"));
        await RunningVmAsync(h, "vm1");

        await h.CreateAsync(T.VirtualMachineSnapshot, Snapshot("snap", Ns, "vm1"));

        var failed = await h.WaitForAsync(T.VirtualMachineSnapshot, Ns, "snap", s => s.Phase() == "Failed", "Failed");
        Assert.Equal("True:snapshot deadline exceeded:", failed.Condition("Failure"));
        await UnlockedAsync(h, "vm1");
    }

    /// <summary>snapshot.go updateSnapshotStatus: a snapshot whose source VM does not exist is in progress with Progressing "Source does not exist".</summary>
    [Fact]
    public async Task A_snapshot_of_a_missing_vm_is_in_progress_saying_the_source_does_not_exist()
    {
        await using var h = await StartAsync();

        await h.CreateAsync(T.VirtualMachineSnapshot, Snapshot("snap", Ns, "missing"));

        var waiting = await h.WaitForAsync(T.VirtualMachineSnapshot, Ns, "snap", s => s.Phase() == "InProgress", "InProgress");
        Assert.Equal("False:Source does not exist:", waiting.Condition("Progressing"));
        Assert.Equal("False:Not ready:", waiting.Condition("Ready"));
    }

    /// <summary>snapshot.go updateVMSnapshot (shouldDeleteContent: deletionPolicy Delete) and the content's VolumeSnapshots, owned by it, collected after it.</summary>
    [Fact]
    public async Task Deleting_a_snapshot_deletes_its_content_and_volume_snapshots()
    {
        await using var h = await StartAsync();
        await RunningVmAsync(h, "vm1");
        var ready = await ReadySnapshotAsync(h, "snap", "vm1");
        var contentName = ready.At("status.virtualMachineSnapshotContentName")!;
        var volumeSnapshot = $"vmsnapshot-{ready.Metadata.Uid}-volume-root";
        var volumeSnapshotContent = (await h.ReadAsync(T.VolumeSnapshot, Ns, volumeSnapshot)).At("status.boundVolumeSnapshotContentName")!;

        await h.DeleteAsync(T.VirtualMachineSnapshot, Ns, "snap");

        await h.WaitForDeletionAsync(T.VirtualMachineSnapshot, Ns, "snap");
        await h.WaitForDeletionAsync(T.VirtualMachineSnapshotContent, Ns, contentName);
        await h.WaitForDeletionAsync(T.VolumeSnapshot, Ns, volumeSnapshot);
        await h.WaitForDeletionAsync(T.VolumeSnapshot, Ns, $"vmsnapshot-{ready.Metadata.Uid}-volume-data");
        await h.WaitForDeletionAsync(T.VolumeSnapshotContent, null, volumeSnapshotContent);
    }
}
