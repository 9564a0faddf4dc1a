using System.Text.Json.Nodes;
using Vers.LocalCluster.KubeVirt;
using Vers.Kube;
using static Vers.LocalCluster.KubeVirt.Tests.KubeVirtHarness;
using static Vers.LocalCluster.KubeVirt.Tests.KubeVirtSamples;
using T = Vers.Api.KubeVirt.KubeVirtTypes;

namespace Vers.LocalCluster.KubeVirt.Tests.Compute;

/// <summary>virt-controller's VirtualMachine status (KubeVirt v1.9 pkg/virt-controller/watch/vm/vm.go setPrintableStatus) and the storage side of a start.</summary>
public sealed class VirtualMachineReconcilerTests
{
    /// <summary>vm.go setPrintableStatus (Stopped: no VMI and no start expected) with a DataVolume waiting for its first consumer (PendingPopulation is not Provisioning, pkg/storage/types/dv.go).</summary>
    [Fact]
    public async Task A_halted_vm_whose_disks_wait_for_a_consumer_is_Stopped()
    {
        await using var h = await StartAsync();
        await h.CreateAsync(T.PersistentVolumeClaim, Claim("vm1-data", Ns));

        await h.CreateAsync(T.VirtualMachine, VirtualMachine("vm1", Ns));
        var stopped = await h.WaitForAsync(T.VirtualMachine, Ns, "vm1", vm => vm.PrintableStatus() == "Stopped", "Stopped");

        Assert.Equal("False:VMINotExists:VMI does not exist", stopped.Condition("Ready"));
        Assert.Equal("false", stopped.At("status.ready"));
        Assert.Equal("PendingPopulation", (await h.ReadAsync(T.DataVolume, Ns, "vm1-root")).Phase());
    }

    /// <summary>vm.go handleDataVolumes: virt-controller creates the DataVolumes of spec.dataVolumeTemplates, controlled by the VM.</summary>
    [Fact]
    public async Task A_vm_creates_the_data_volumes_of_its_templates_controlled_by_it()
    {
        await using var h = await StartAsync();

        var vm = await h.CreateAsync(T.VirtualMachine, VirtualMachine("vm1", Ns));
        var dv = await h.WaitForAsync(T.DataVolume, Ns, "vm1-root", _ => true, "the template's DataVolume");

        var owner = Assert.Single(dv.Metadata.OwnerReferences);
        Assert.Equal(("VirtualMachine", vm.Metadata.Uid, true), (owner.Kind, owner.Uid, owner.Controller == true));
        Assert.Equal("5Gi", dv.At("spec.storage.resources.requests.storage"));
    }

    /// <summary>pkg/storage/types/dv.go (Provisioning: a DataVolume neither Succeeded nor PendingPopulation), ranked before Stopped.</summary>
    [Fact]
    public async Task A_halted_vm_whose_data_volume_is_importing_is_Provisioning()
    {
        await using var h = await StartAsync(new SimulatorOptions().SetDelay("DataVolume", TimeSpan.FromMinutes(10)));
        await h.CreateAsync(T.DataVolume, BlankDataVolume("disk", Ns, immediate: true));
        var vm = VirtualMachineOnClaim("vm1", Ns, "unused");
        vm["spec"]!["template"]!["spec"]!["volumes"] = new JsonArray(DataVolumeVolume("disk", "disk"));

        await h.CreateAsync(T.VirtualMachine, vm);
        await h.WaitForAsync(T.DataVolume, Ns, "disk", dv => dv.Phase() == "ImportScheduled", "ImportScheduled");

        await h.WaitForAsync(T.VirtualMachine, Ns, "vm1", v => v.PrintableStatus() == "Provisioning", "Provisioning");
    }

    /// <summary>
    /// pkg/storage/types/dv.go: a snapshot clone stuck on validation keeps an unset phase, which counts as Provisioning even for a halted VM.
    /// </summary>
    [Fact]
    public async Task A_halted_vm_whose_data_volume_clones_a_missing_snapshot_is_Provisioning()
    {
        await using var h = await StartAsync();
        await h.CreateAsync(T.DataVolume, DataVolumeFromSnapshot("disk", Ns, Ns, "missing"));
        var vm = VirtualMachineOnClaim("vm1", Ns, "unused");
        vm["spec"]!["template"]!["spec"]!["volumes"] = new JsonArray(DataVolumeVolume("disk", "disk"));

        await h.CreateAsync(T.VirtualMachine, vm);
        await h.WaitForAsync(T.DataVolume, Ns, "disk", dv => dv.Condition("Bound")?.Contains("CloneWithoutSource", StringComparison.Ordinal) == true, "CloneWithoutSource");

        await h.WaitForAsync(T.VirtualMachine, Ns, "vm1", v => v.PrintableStatus() == "Provisioning", "Provisioning");
    }

    /// <summary>
    /// vm.go setPrintableStatus (WaitingForVolumeBinding, Starting, Running); kube-scheduler's VolumeBinding plugin records the chosen node on the
    /// WaitForFirstConsumer claims of the launcher pod (volume.kubernetes.io/selected-node), which lets them bind.
    /// </summary>
    [Fact]
    public async Task A_started_vm_waits_for_volume_binding_then_is_Starting_then_Running()
    {
        await using var h = await StartAsync(new SimulatorOptions().SetDelay("VirtualMachine", TimeSpan.FromMilliseconds(100)));
        await h.CreateAsync(T.PersistentVolumeClaim, Claim("disk", Ns));
        await using var recording = await h.RecordAsync(T.VirtualMachine, Ns, "vm1");

        await h.CreateAsync(T.VirtualMachine, VirtualMachineOnClaim("vm1", Ns, "disk", runStrategy: "Always"));
        var versions = await recording.UntilAsync(vm => vm.PrintableStatus() == "Running");

        Assert.Equal(["WaitingForVolumeBinding", "Starting", "Running"], Statuses(versions));
        var claim = await h.ReadAsync(T.PersistentVolumeClaim, Ns, "disk");
        Assert.Equal("localcluster-node-1", claim.Annotation(SelectedNode));
        Assert.Equal("Bound", claim.Phase());
        var running = versions[^1];
        Assert.Equal(("true", "true"), (running.At("status.ready"), running.At("status.created")));
        Assert.StartsWith("True:", running.Condition("Ready"));
    }

    /// <summary>
    /// vm.go setPrintableStatus (ErrorUnschedulable from the VMI's PodScheduled=False Unschedulable, vmi/lifecycle.go) for the configured window
    /// (SimulatorOptions.Unschedulable, <c>--sim-fault unschedulable=D</c>), then the VM is scheduled and runs.
    /// </summary>
    [Fact]
    public async Task A_started_vm_is_ErrorUnschedulable_for_the_configured_window_then_Running()
    {
        await using var h = await StartAsync(new SimulatorOptions().Apply("unschedulable=300ms"));
        await h.CreateAsync(T.PersistentVolumeClaim, Claim("disk", Ns, storageClass: NoSnapshotClass));
        await h.WaitForAsync(T.PersistentVolumeClaim, Ns, "disk", c => c.Phase() == "Bound", "Bound");
        await using var recording = await h.RecordAsync(T.VirtualMachine, Ns, "vm1");

        await h.CreateAsync(T.VirtualMachine, VirtualMachineOnClaim("vm1", Ns, "disk", runStrategy: "Always"));
        var versions = await recording.UntilAsync(vm => vm.PrintableStatus() == "Running");

        Assert.Equal(["ErrorUnschedulable", "Running"], Statuses(versions));
        var unschedulable = versions.First(v => v.PrintableStatus() == "ErrorUnschedulable");
        Assert.StartsWith("False:Unschedulable:0/1 nodes are available: 1 Insufficient memory.", unschedulable.Condition("PodScheduled"));
        var scheduling = await h.WaitForEventAsync(Ns, "vm1", "FailedScheduling");
        Assert.Equal("Warning", scheduling.At("type"));
        Assert.Null(versions[^1].Condition("PodScheduled"));
    }

    /// <summary>vm.go setPrintableStatus / pkg/storage/types/dv.go: a DataVolume in phase Failed makes the VM DataVolumeError.</summary>
    [Fact]
    public async Task A_vm_whose_data_volume_failed_is_DataVolumeError()
    {
        await using var h = await StartAsync(new SimulatorOptions().Apply("fail=datavolumes"));
        await h.CreateAsync(T.PersistentVolumeClaim, Claim("vm1-data", Ns));

        await h.CreateAsync(T.VirtualMachine, VirtualMachine("vm1", Ns, runStrategy: "Always"));

        await h.WaitForAsync(T.DataVolume, Ns, "vm1-root", dv => dv.Phase() == "Failed", "Failed");
        await h.WaitForAsync(T.VirtualMachine, Ns, "vm1", vm => vm.PrintableStatus() == "DataVolumeError", "DataVolumeError");
    }

    /// <summary>vm.go setPrintableStatus: ErrorPvcNotFound (the VMI's Synchronized=False FailedPvcNotFound, vmi/datavolumes.go) for a started VM.</summary>
    [Fact]
    public async Task A_started_vm_whose_claim_does_not_exist_is_ErrorPvcNotFound()
    {
        await using var h = await StartAsync();

        await h.CreateAsync(T.VirtualMachine, VirtualMachineOnClaim("vm1", Ns, "missing", runStrategy: "Always"));

        await h.WaitForAsync(T.VirtualMachine, Ns, "vm1", vm => vm.PrintableStatus() == "ErrorPvcNotFound", "ErrorPvcNotFound");
    }

    /// <summary>vm.go setPrintableStatus: without a VMI there is no ErrorPvcNotFound; a halted VM with a missing claim is Stopped.</summary>
    [Fact]
    public async Task A_halted_vm_whose_claim_does_not_exist_is_Stopped()
    {
        await using var h = await StartAsync();

        await h.CreateAsync(T.VirtualMachine, VirtualMachineOnClaim("vm1", Ns, "missing"));

        await h.WaitForAsync(T.VirtualMachine, Ns, "vm1", vm => vm.PrintableStatus() == "Stopped", "Stopped");
    }

    /// <summary>KubeVirt pkg/storage/snapshot/snapshot.go getVolumeSnapshotStatus: enabled, or the reason a volume cannot be snapshotted.</summary>
    [Fact]
    public async Task Volume_snapshot_statuses_say_which_volumes_can_be_snapshotted_and_why_not()
    {
        await using var h = await StartAsync();
        await h.CreateAsync(T.PersistentVolumeClaim, Claim("disk", Ns));
        await h.CreateAsync(T.PersistentVolumeClaim, Claim("nosnap", Ns, storageClass: NoSnapshotClass));
        var vm = VirtualMachineOnClaim("vm1", Ns, "disk")
            .WithVolume(ClaimVolume("data", "nosnap"))
            .WithVolume(ClaimVolume("gone", "missing"))
            .WithVolume(ContainerDiskVolume("image"));

        await h.CreateAsync(T.VirtualMachine, vm);
        var stopped = await h.WaitForAsync(T.VirtualMachine, Ns, "vm1", v => v.At("status.volumeSnapshotStatuses") is not null, "volumeSnapshotStatuses");

        var statuses = (stopped.Status!["volumeSnapshotStatuses"] as JsonArray)!.OfType<JsonObject>()
            .ToDictionary(s => (string)s["name"]!, s => $"{s["enabled"]}:{s["reason"]}");
        Assert.Equal("true:", statuses["disk"]);
        Assert.Equal("false:No VolumeSnapshotClass: Volume snapshots are not configured for this StorageClass [local-nosnap] [data]", statuses["data"]);
        Assert.Equal("false:PVC not found", statuses["gone"]);
        Assert.Equal("false:Snapshot is not supported for this volumeSource type [image]", statuses["image"]);
    }

    /// <summary>The printable statuses a recording went through, each once, in order.</summary>
    private static List<string> Statuses(IEnumerable<GenericObject> versions)
    {
        var statuses = new List<string>();
        foreach (var status in versions.Select(v => v.PrintableStatus()).OfType<string>())
        {
            if (statuses.Count == 0 || statuses[^1] != status)
            {
                statuses.Add(status);
            }
        }

        return statuses;
    }
}
