using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Vers.LocalCluster.KubeVirt;
using Vers.Operator.KubeVirt;
using Vers.Operator.Runtime;
using T = Vers.Operator.KubeVirt.KubeVirtTypes;

namespace Vers.LocalCluster.Tests.KubeVirt;

public sealed class KubeVirtSimulatorTests
{
    private const string OrgA = "org-a";
    private const string OrgB = "org-b";

    [Fact]
    public async Task Snapshot_of_a_vm_becomes_ready_with_content_and_volume_snapshots()
    {
        await using var h = await KubeVirtHarness.StartAsync(null, null, OrgA);
        await h.CreateAsync(T.VirtualMachine, KubeVirtSamples.VirtualMachine("vm1", OrgA));
        await h.WaitForAsync(T.VirtualMachine, OrgA, "vm1", vm => Str(vm.Status, "printableStatus") == "Stopped", "Stopped");
        var created = await h.CreateAsync(T.VirtualMachineSnapshot, KubeVirtSamples.Snapshot("s1", OrgA, "vm1"));

        var snapshot = await h.WaitForAsync(T.VirtualMachineSnapshot, OrgA, "s1", s => (bool?)s.Status?["readyToUse"] == true, "readyToUse");

        var uid = created.Metadata.Uid;
        Assert.Equal("Succeeded", Str(snapshot.Status, "phase"));
        Assert.Equal($"vmsnapshot-content-{uid}", Str(snapshot.Status, "virtualMachineSnapshotContentName"));
        Assert.Equal(["root", "data"], ((JsonArray)snapshot.Status!["snapshotVolumes"]!["includedVolumes"]!).Select(v => (string)v!));
        Assert.Equal(["cloudinit"], ((JsonArray)snapshot.Status!["snapshotVolumes"]!["excludedVolumes"]!).Select(v => (string)v!));
        Assert.Contains(Conditions(snapshot), c => c == "Ready=True:Ready");
        Assert.Contains(Conditions(snapshot), c => c == "Progressing=False:Operation complete");
        Assert.Null(snapshot.Status!["indications"]);

        var content = await h.GetAsync(T.VirtualMachineSnapshotContent, OrgA, $"vmsnapshot-content-{uid}");
        Assert.NotNull(content);
        Assert.Equal(uid, Assert.Single(content.Metadata.OwnerReferences).Uid);
        Assert.True((bool?)content.Status?["readyToUse"]);
        Assert.Equal("vm1", (string?)content.Spec?["source"]?["virtualMachine"]?["metadata"]?["name"]);
        var vs = await h.GetAsync(T.VolumeSnapshot, OrgA, $"vmsnapshot-{uid}-volume-root");
        Assert.NotNull(vs);
        Assert.True((bool?)vs.Status?["readyToUse"]);
        Assert.Equal("5Gi", (string?)vs.Status?["restoreSize"]);
        Assert.Equal("vm1", vs.Metadata.Labels["snapshot.kubevirt.io/source-vm-name"]);
        Assert.Equal(content.Metadata.Uid, Assert.Single(vs.Metadata.OwnerReferences).Uid);
        Assert.NotNull(await h.GetAsync(T.VolumeSnapshot, OrgA, $"vmsnapshot-{uid}-volume-data"));
        await h.AssertAllValidAsync(OrgA);
    }

    [Fact]
    public async Task Snapshot_waits_for_a_missing_vm_and_completes_when_it_appears()
    {
        await using var h = await KubeVirtHarness.StartAsync(null, null, OrgA);
        await h.CreateAsync(T.VirtualMachineSnapshot, KubeVirtSamples.Snapshot("s1", OrgA, "late"));

        var pending = await h.WaitForAsync(T.VirtualMachineSnapshot, OrgA, "s1", s => Str(s.Status, "phase") == "InProgress", "InProgress");
        Assert.Contains("Progressing=False:Source does not exist", Conditions(pending));

        await h.CreateAsync(T.VirtualMachine, KubeVirtSamples.VirtualMachine("late", OrgA, runStrategy: "Always"));
        var done = await h.WaitForAsync(T.VirtualMachineSnapshot, OrgA, "s1", s => (bool?)s.Status?["readyToUse"] == true, "readyToUse");
        await h.AssertAllValidAsync(OrgA);
        Assert.Equal("Succeeded", Str(done.Status, "phase"));
    }

    [Fact]
    public async Task Clone_from_a_snapshot_creates_the_identity_stripped_target_vm()
    {
        await using var h = await KubeVirtHarness.StartAsync(null, null, OrgA);
        await h.CreateAsync(T.VirtualMachine, KubeVirtSamples.VirtualMachine("vm1", OrgA, runStrategy: "Always"));
        await h.WaitForAsync(T.VirtualMachine, OrgA, "vm1", vm => Str(vm.Status, "printableStatus") == "Running", "Running");
        await h.CreateAsync(T.VirtualMachineSnapshot, KubeVirtSamples.Snapshot("s1", OrgA, "vm1"));
        var snapshot = await h.WaitForAsync(T.VirtualMachineSnapshot, OrgA, "s1", s => (bool?)s.Status?["readyToUse"] == true, "readyToUse");
        Assert.Equal(["Online", "NoGuestAgent"], ((JsonArray)snapshot.Status!["indications"]!).Select(i => (string)i!));

        var clone = await h.CreateAsync(T.VirtualMachineClone, KubeVirtSamples.Clone("c1", OrgA, "s1", "fork"));
        var done = await h.WaitForAsync(T.VirtualMachineClone, OrgA, "c1", c => Str(c.Status, "phase") == "Succeeded", "Succeeded");

        Assert.Equal("fork", Str(done.Status, "targetName"));
        Assert.Contains("Ready=True:Ready", Conditions(done));
        var fork = await h.WaitForAsync(T.VirtualMachine, OrgA, "fork", vm => Str(vm.Status, "printableStatus") == "Stopped", "Stopped");
        Assert.Equal("Halted", (string?)fork.Spec?["runStrategy"]);
        var domain = fork.Spec!["template"]!["spec"]!["domain"]!;
        Assert.Null(domain["devices"]!["interfaces"]![0]!["macAddress"]);
        Assert.Null(domain["firmware"]?["uuid"]);
        Assert.Null(domain["firmware"]?["serial"]);
        var restoredRoot = $"restore-{clone.Metadata.Uid}-root";
        Assert.Equal(restoredRoot, (string?)fork.Spec["template"]!["spec"]!["volumes"]![0]!["dataVolume"]!["name"]);
        var dv = await h.WaitForAsync(T.DataVolume, OrgA, restoredRoot, d => Str(d.Status, "phase") == "Succeeded", "Succeeded");
        Assert.Equal(fork.Metadata.Uid, Assert.Single(dv.Metadata.OwnerReferences).Uid);
        Assert.Equal($"vmsnapshot-{snapshot.Metadata.Uid}-volume-root", (string?)dv.Spec?["source"]?["snapshot"]?["name"]);
        await h.AssertAllValidAsync(OrgA);
    }

    [Fact]
    public async Task Clone_waits_for_its_snapshot_and_gets_a_generated_target_name()
    {
        await using var h = await KubeVirtHarness.StartAsync(null, null, OrgA);
        await h.CreateAsync(T.VirtualMachineClone, KubeVirtSamples.Clone("c1", OrgA, "s1", targetName: null));

        var pending = await h.WaitForAsync(T.VirtualMachineClone, OrgA, "c1", c => c.Status?["conditions"] is not null, "pending conditions");
        Assert.Null(Str(pending.Status, "phase"));
        Assert.Contains("Progressing=False:Pending", Conditions(pending));
        Assert.Contains($"Ready=False:Source doesnt exist: VirtualMachineSnapshot {OrgA}/s1", Conditions(pending));
        var target = (string?)pending.Spec?["target"]?["name"];
        Assert.Matches("^clone-s1-[a-z0-9]{5}$", target);

        await h.CreateAsync(T.VirtualMachine, KubeVirtSamples.VirtualMachine("vm1", OrgA));
        await h.CreateAsync(T.VirtualMachineSnapshot, KubeVirtSamples.Snapshot("s1", OrgA, "vm1"));
        var done = await h.WaitForAsync(T.VirtualMachineClone, OrgA, "c1", c => Str(c.Status, "phase") == "Succeeded", "Succeeded");
        Assert.Equal(target, Str(done.Status, "targetName"));
        Assert.NotNull(await h.GetAsync(T.VirtualMachine, OrgA, target!));
        await h.AssertAllValidAsync(OrgA);
    }

    [Fact]
    public async Task DataVolume_from_a_volume_snapshot_in_another_namespace_succeeds_once_it_exists()
    {
        await using var h = await KubeVirtHarness.StartAsync(null, null, OrgA, OrgB);
        await h.CreateAsync(T.VirtualMachine, KubeVirtSamples.VirtualMachine("vm1", OrgA));
        var snapshot = await h.CreateAsync(T.VirtualMachineSnapshot, KubeVirtSamples.Snapshot("s1", OrgA, "vm1"));
        var vsName = $"vmsnapshot-{snapshot.Metadata.Uid}-volume-root";
        // Created before the source exists: it must wait, then follow the VolumeSnapshot's events.
        await h.CreateAsync(T.DataVolume, KubeVirtSamples.DataVolumeFromSnapshot("fork-root", OrgB, OrgA, "missing"));
        await h.CreateAsync(T.DataVolume, KubeVirtSamples.DataVolumeFromSnapshot("fork-data", OrgB, OrgA, vsName));

        var waiting = await h.WaitForAsync(T.DataVolume, OrgB, "fork-root", d => Str(d.Status, "phase") == "Pending", "Pending");
        Assert.Contains($"Bound=False:CloneWithoutSource", Conditions(waiting));
        var done = await h.WaitForAsync(T.DataVolume, OrgB, "fork-data", d => Str(d.Status, "phase") == "Succeeded", "Succeeded");

        Assert.Equal("100.0%", Str(done.Status, "progress"));
        Assert.Equal("fork-data", Str(done.Status, "claimName"));
        Assert.Contains("Ready=True:", Conditions(done));
        Assert.Contains("Bound=True:Bound", Conditions(done));
        await h.AssertAllValidAsync(OrgA, OrgB);
    }

    [Fact]
    public async Task Vm_status_follows_run_strategy_and_data_volumes()
    {
        await using var h = await KubeVirtHarness.StartAsync(null, null, OrgA);
        var vm = KubeVirtSamples.VirtualMachine("vm1", OrgA, runStrategy: "Always");
        vm["spec"]!["template"]!["spec"]!["volumes"]!.AsArray().Add(new JsonObject { ["name"] = "extra", ["dataVolume"] = new JsonObject { ["name"] = "not-yet" } });
        await h.CreateAsync(T.VirtualMachine, vm);

        var provisioning = await h.WaitForAsync(T.VirtualMachine, OrgA, "vm1", v => Str(v.Status, "printableStatus") == "Provisioning", "Provisioning");
        Assert.Contains("Ready=False:VMINotExists", Conditions(provisioning));
        await h.CreateAsync(T.DataVolume, JsonNode.Parse("""
            { "apiVersion": "cdi.kubevirt.io/v1beta1", "kind": "DataVolume", "metadata": { "name": "not-yet", "namespace": "org-a" },
              "spec": { "source": { "blank": {} }, "storage": { "resources": { "requests": { "storage": "1Gi" } } } } }
            """)!.AsObject());
        var running = await h.WaitForAsync(T.VirtualMachine, OrgA, "vm1", v => Str(v.Status, "printableStatus") == "Running", "Running");

        Assert.True((bool?)running.Status?["ready"]);
        Assert.True((bool?)running.Status?["created"]);
        Assert.Contains("Ready=True:", Conditions(running));
        var volumeStatuses = ((JsonArray)running.Status!["volumeSnapshotStatuses"]!).Select(s => $"{s!["name"]}={s["enabled"]}");
        Assert.Equal(["root=true", "data=true", "cloudinit=false", "extra=true"], volumeStatuses);
        Assert.NotNull(await h.GetAsync(T.DataVolume, OrgA, "vm1-root"));
        await h.AssertAllValidAsync(OrgA);
    }

    [Fact]
    public async Task Injected_failures_mark_snapshot_clone_and_data_volume_failed()
    {
        await using var h = await KubeVirtHarness.StartAsync(null, null, OrgA);
        h.Options.FailNext("VirtualMachineSnapshot").FailAll("VirtualMachineClone");
        await h.CreateAsync(T.VirtualMachine, KubeVirtSamples.VirtualMachine("vm1", OrgA));
        await h.CreateAsync(T.VirtualMachineSnapshot, KubeVirtSamples.Snapshot("bad", OrgA, "vm1"));
        var failed = await h.WaitForAsync(T.VirtualMachineSnapshot, OrgA, "bad", s => Str(s.Status, "phase") == "Failed", "Failed");
        Assert.Contains("Failure=True:snapshot deadline exceeded", Conditions(failed));
        Assert.False((bool?)failed.Status?["readyToUse"]);

        await h.CreateAsync(T.VirtualMachineSnapshot, KubeVirtSamples.Snapshot("good", OrgA, "vm1"));
        await h.WaitForAsync(T.VirtualMachineSnapshot, OrgA, "good", s => (bool?)s.Status?["readyToUse"] == true, "readyToUse (FailNext is used up)");
        await h.CreateAsync(T.VirtualMachineClone, KubeVirtSamples.Clone("c1", OrgA, "good", "fork"));
        var failedClone = await h.WaitForAsync(T.VirtualMachineClone, OrgA, "c1", c => Str(c.Status, "phase") == "Failed", "Failed");
        Assert.Contains("Ready=False:SnapshotContentInvalid", Conditions(failedClone));
        Assert.Null(await h.GetAsync(T.VirtualMachine, OrgA, "fork"));

        h.Options.FailNext("DataVolume");
        var vm = KubeVirtSamples.VirtualMachine("vm2", OrgA);
        await h.CreateAsync(T.VirtualMachine, vm);
        await h.WaitForAsync(T.DataVolume, OrgA, "vm2-root", d => Str(d.Status, "phase") == "Failed", "Failed");
        await h.WaitForAsync(T.VirtualMachine, OrgA, "vm2", v => Str(v.Status, "printableStatus") == "DataVolumeError", "DataVolumeError");
        await h.AssertAllValidAsync(OrgA);
    }

    [Fact]
    public async Task Injected_delay_holds_objects_in_progress_until_time_passes()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = new SimulatorOptions()
            .SetDelay("VirtualMachineSnapshot", TimeSpan.FromMinutes(2))
            .SetDelay("VirtualMachineClone", TimeSpan.FromMinutes(5));
        await using var h = await KubeVirtHarness.StartAsync(options, time, OrgA);
        await h.CreateAsync(T.VirtualMachine, KubeVirtSamples.VirtualMachine("vm1", OrgA));
        await h.CreateAsync(T.VirtualMachineSnapshot, KubeVirtSamples.Snapshot("s1", OrgA, "vm1"));

        var held = await h.WaitForAsync(T.VirtualMachineSnapshot, OrgA, "s1", s => Str(s.Status, "sourceUID") is not null, "in progress");
        Assert.Equal("InProgress", Str(held.Status, "phase"));
        Assert.Contains("Progressing=True:Source locked and operation in progress", Conditions(held));
        await h.CreateAsync(T.VirtualMachineClone, KubeVirtSamples.Clone("c1", OrgA, "s1", "fork"));
        await h.WaitForAsync(T.VirtualMachineClone, OrgA, "c1", c => c.Status?["conditions"] is not null, "pending");

        time.Advance(TimeSpan.FromMinutes(2));
        await h.WaitForAsync(T.VirtualMachineSnapshot, OrgA, "s1", s => (bool?)s.Status?["readyToUse"] == true, "readyToUse");
        var restoring = await h.WaitForAsync(T.VirtualMachineClone, OrgA, "c1", c => Str(c.Status, "phase") == "RestoreInProgress", "RestoreInProgress");
        Assert.Null(await h.GetAsync(T.VirtualMachine, OrgA, "fork"));
        Assert.Contains("Progressing=True:Still processing", Conditions(restoring));

        time.Advance(TimeSpan.FromMinutes(5));
        await h.WaitForAsync(T.VirtualMachineClone, OrgA, "c1", c => Str(c.Status, "phase") == "Succeeded", "Succeeded");
        Assert.NotNull(await h.GetAsync(T.VirtualMachine, OrgA, "fork"));
        await h.AssertAllValidAsync(OrgA);
    }

    private static string? Str(JsonObject? obj, string key) => (string?)obj?[key];

    private static List<string> Conditions(GenericObject obj) =>
        ((obj.Status?["conditions"] as JsonArray)?.OfType<JsonObject>() ?? [])
            .Select(c => $"{c["type"]}={c["status"]}:{c["reason"]}").ToList();
}
