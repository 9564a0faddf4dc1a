using System.Text.Json.Nodes;
using k8s;
using Microsoft.Extensions.Time.Testing;
using Vers.LocalCluster.KubeVirt;
using Vers.Operator.Runtime;
using T = Vers.Operator.KubeVirt.KubeVirtTypes;

namespace Vers.LocalCluster.Tests.KubeVirt;

/// <summary>
/// With nothing delayed, each simulated controller takes every step it can in one pass, building on the objects its
/// own writes returned rather than waiting for the watch to bring them back; with a delay it still shows each
/// intermediate state for that long.
/// </summary>
public sealed class SimulatorFastPathTests
{
    private const string OrgA = "org-a";

    [Fact]
    public async Task Without_delays_a_vm_its_data_volume_and_a_snapshot_each_finish_in_one_pass_without_any_watch_event()
    {
        // Informers never started: every step after the first sees only what the simulator's own writes returned.
        await using var c = await SimulatorCaches.StartAsync(OrgA);
        var ct = TestContext.Current.CancellationToken;
        var vms = new VirtualMachineReconciler(c.Context);
        var vm = await c.CreateAsync(T.VirtualMachine, KubeVirtSamples.VirtualMachine("vm1", OrgA, runStrategy: "Always"));

        await vms.ReconcileAsync(Copy(vm), ct);
        var rootDisk = await c.Rest.GetAsync<GenericObject>(T.DataVolume, OrgA, "vm1-root", ct);
        var dvResult = await new DataVolumeReconciler(c.Context).ReconcileAsync(rootDisk, ct);
        var vmResult = await vms.ReconcileAsync(Copy(vm), ct);

        Assert.Null(dvResult.RequeueAfter);
        Assert.Null(vmResult.RequeueAfter);
        Assert.Equal("Succeeded", Str((await c.Rest.GetAsync<GenericObject>(T.DataVolume, OrgA, "vm1-root", ct)).Status, "phase"));
        var running = await c.Rest.GetAsync<GenericObject>(T.VirtualMachine, OrgA, "vm1", ct);
        Assert.Equal("Running", Str(running.Status, "printableStatus"));
        Assert.True((bool?)running.Status?["ready"]);
        Assert.True((bool?)running.Status?["created"]);
        // Provisioning while the disk was missing, then Running: a Starting that lasts no time is not written.
        Assert.Equal(2, c.Server.Requests.Count(verb: "patch", resource: "virtualmachines/status"));

        var snapshot = await c.CreateAsync(T.VirtualMachineSnapshot, KubeVirtSamples.Snapshot("s1", OrgA, "vm1"));
        var snapshotResult = await new VirtualMachineSnapshotReconciler(c.Context).ReconcileAsync(Copy(snapshot), ct);

        Assert.Null(snapshotResult.RequeueAfter);
        var uid = snapshot.Metadata.Uid;
        var done = await c.Rest.GetAsync<GenericObject>(T.VirtualMachineSnapshot, OrgA, "s1", ct);
        Assert.Equal("Succeeded", Str(done.Status, "phase"));
        Assert.True((bool?)done.Status?["readyToUse"]);
        Assert.Equal(running.Metadata.Uid, Str(done.Status, "sourceUID"));
        Assert.Equal(KubeVirtNames.SnapshotContent(uid), Str(done.Status, "virtualMachineSnapshotContentName"));
        Assert.Equal(["Online", "NoGuestAgent"], ((JsonArray)done.Status!["indications"]!).Select(i => (string)i!));
        var content = await c.Rest.GetAsync<GenericObject>(T.VirtualMachineSnapshotContent, OrgA, KubeVirtNames.SnapshotContent(uid), ct);
        Assert.True((bool?)content.Status?["readyToUse"]);
        var volumeSnapshot = await c.Rest.GetAsync<GenericObject>(T.VolumeSnapshot, OrgA, KubeVirtNames.VolumeSnapshot(uid, "root"), ct);
        Assert.True((bool?)volumeSnapshot.Status?["readyToUse"]);
        // One write per object and state: content, two VolumeSnapshots, their statuses, the content's and the snapshot's.
        Assert.Equal(1, c.Server.Requests.Count(verb: "create", resource: "virtualmachinesnapshotcontents"));
        Assert.Equal(2, c.Server.Requests.Count(verb: "create", resource: "volumesnapshots"));
        Assert.Equal(2, c.Server.Requests.Count(verb: "patch", resource: "volumesnapshots/status"));
        Assert.Equal(1, c.Server.Requests.Count(verb: "patch", resource: "virtualmachinesnapshotcontents/status"));
        Assert.Equal(1, c.Server.Requests.Count(verb: "patch", resource: "virtualmachinesnapshots/status"));
    }

    [Fact]
    public async Task Without_delays_a_clone_of_a_ready_snapshot_and_its_restored_disk_finish_in_one_pass_each()
    {
        await using var c = await SimulatorCaches.StartAsync(OrgA);
        var ct = TestContext.Current.CancellationToken;
        var vm = await c.CreateAsync(T.VirtualMachine, KubeVirtSamples.VirtualMachine("vm1", OrgA));
        // The VM's pass puts it in the simulator's view (no informer runs here).
        await new VirtualMachineReconciler(c.Context).ReconcileAsync(Copy(vm), ct);
        var snapshot = await c.CreateAsync(T.VirtualMachineSnapshot, KubeVirtSamples.Snapshot("s1", OrgA, "vm1"));
        await new VirtualMachineSnapshotReconciler(c.Context).ReconcileAsync(Copy(snapshot), ct);
        var clone = await c.CreateAsync(T.VirtualMachineClone, KubeVirtSamples.Clone("c1", OrgA, "s1", targetName: null));

        var result = await new VirtualMachineCloneReconciler(c.Context).ReconcileAsync(Copy(clone), ct);

        Assert.Null(result.RequeueAfter);
        var done = await c.Rest.GetAsync<GenericObject>(T.VirtualMachineClone, OrgA, "c1", ct);
        Assert.Equal("Succeeded", Str(done.Status, "phase"));
        var target = (string?)done.Spec?["target"]?["name"];
        Assert.Equal(target, Str(done.Status, "targetName"));
        Assert.NotNull(await c.Rest.TryGetAsync<GenericObject>(T.VirtualMachine, OrgA, target!, ct));
        Assert.Equal(1, c.Server.Requests.Count(verb: "patch", resource: "virtualmachineclones/status"));

        var restored = await c.Rest.GetAsync<GenericObject>(T.DataVolume, OrgA, KubeVirtNames.RestoredVolume(clone.Metadata.Uid, "root"), ct);
        await new DataVolumeReconciler(c.Context).ReconcileAsync(restored, ct);
        var populated = await c.Rest.GetAsync<GenericObject>(T.DataVolume, OrgA, restored.Metadata.Name, ct);
        Assert.Equal("Succeeded", Str(populated.Status, "phase"));
        Assert.Equal(1, c.Server.Requests.Count(verb: "patch", resource: "datavolumes/status"));
    }

    [Fact]
    public async Task A_pass_interrupted_after_the_snapshot_content_resumes_from_the_objects_on_the_server()
    {
        await using var c = await SimulatorCaches.StartAsync(OrgA);
        var ct = TestContext.Current.CancellationToken;
        var vm = await c.CreateAsync(T.VirtualMachine, KubeVirtSamples.VirtualMachine("vm1", OrgA));
        var snapshot = await c.CreateAsync(T.VirtualMachineSnapshot, KubeVirtSamples.Snapshot("s1", OrgA, "vm1"));
        // What a simulator that stopped mid-pass left behind: the content, nothing ready yet.
        var content = await c.CreateAsync(T.VirtualMachineSnapshotContent, SnapshotContent(snapshot, vm));
        // This simulator has no memory of those writes: it starts from its informers' first list.
        await c.SyncAsync();

        var result = await new VirtualMachineSnapshotReconciler(c.Context).ReconcileAsync(Copy(snapshot), ct);

        Assert.Null(result.RequeueAfter);
        var done = await c.Rest.GetAsync<GenericObject>(T.VirtualMachineSnapshot, OrgA, "s1", ct);
        Assert.Equal("Succeeded", Str(done.Status, "phase"));
        Assert.Equal(content.Metadata.Name, Str(done.Status, "virtualMachineSnapshotContentName"));
        Assert.True((bool?)(await c.Rest.GetAsync<GenericObject>(T.VirtualMachineSnapshotContent, OrgA, content.Metadata.Name, ct)).Status?["readyToUse"]);
        Assert.Equal(1, c.Server.Requests.Count(verb: "create", resource: "virtualmachinesnapshotcontents"));
    }

    [Fact]
    public async Task A_start_delay_still_shows_Starting_until_it_passes()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await KubeVirtHarness.StartAsync(new SimulatorOptions().SetDelay("VirtualMachine", TimeSpan.FromMinutes(1)), time, OrgA);
        await h.CreateAsync(T.VirtualMachine, KubeVirtSamples.VirtualMachine("vm1", OrgA, runStrategy: "Always"));

        var starting = await h.WaitForAsync(T.VirtualMachine, OrgA, "vm1", v => Str(v.Status, "printableStatus") == "Starting", "Starting");
        Assert.True((bool?)starting.Status?["created"]);
        Assert.False((bool?)starting.Status?["ready"]);
        Assert.Contains("Ready=False:PodNotExists", Conditions(starting));

        await Task.Delay(200, TestContext.Current.CancellationToken);
        Assert.Equal("Starting", Str((await h.GetAsync(T.VirtualMachine, OrgA, "vm1"))!.Status, "printableStatus"));

        // The simulator arms its timer after its own watch brings Starting back, which may trail ours: step the
        // clock until the timer has been armed and has fired.
        GenericObject? running = null;
        for (var i = 0; i < 50 && Str(running?.Status, "printableStatus") != "Running"; i++)
        {
            time.Advance(TimeSpan.FromMinutes(1));
            await Task.Delay(50, TestContext.Current.CancellationToken);
            running = await h.GetAsync(T.VirtualMachine, OrgA, "vm1");
        }
        Assert.Equal("Running", Str(running?.Status, "printableStatus"));
        Assert.True((bool?)running!.Status?["ready"]);
    }

    [Fact]
    public async Task Without_a_start_delay_a_vm_whose_disks_are_ready_is_never_seen_Starting()
    {
        await using var h = await KubeVirtHarness.StartAsync(null, null, OrgA);
        var seen = new List<string?>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var list = await h.Rest.ListAsync<GenericObject>(T.VirtualMachine, OrgA, stop.Token);
        var watching = Task.Run(async () =>
        {
            try
            {
                await foreach (var (type, obj) in h.Rest.WatchAsync<GenericObject>(T.VirtualMachine, OrgA, list.Metadata.ResourceVersion, stop.Token))
                {
                    if (type == WatchEventType.Modified) seen.Add(Str(obj.Status, "printableStatus"));
                }
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }
        }, CancellationToken.None);

        await h.CreateAsync(T.VirtualMachine, KubeVirtSamples.VirtualMachine("vm1", OrgA, runStrategy: "Always"));
        await h.WaitForAsync(T.VirtualMachine, OrgA, "vm1", v => Str(v.Status, "printableStatus") == "Running", "Running");
        await Task.Delay(200, TestContext.Current.CancellationToken);
        await stop.CancelAsync();
        await watching;

        Assert.DoesNotContain("Starting", seen);
        Assert.Equal("Running", seen[^1]);
        Assert.Equal(seen.Distinct().Count(), seen.Count);
    }

    private static JsonObject SnapshotContent(GenericObject snapshot, GenericObject vm) => new()
    {
        ["apiVersion"] = T.VirtualMachineSnapshotContent.ApiVersion,
        ["kind"] = T.VirtualMachineSnapshotContent.Kind,
        ["metadata"] = new JsonObject
        {
            ["name"] = KubeVirtNames.SnapshotContent(snapshot.Metadata.Uid),
            ["namespace"] = snapshot.Metadata.NamespaceProperty,
            ["ownerReferences"] = new JsonArray(SimulatorContext.OwnerReference(snapshot)),
        },
        ["spec"] = KubeVirtObjectBuilder.SnapshotContentSpec(snapshot.Metadata.Name, snapshot.Metadata.Uid, SimulatorContext.ToJson(vm), _ => null),
    };

    private static GenericObject Copy(GenericObject obj) => KubernetesJson.Deserialize<GenericObject>(KubernetesJson.Serialize(obj));

    private static string? Str(JsonObject? obj, string key) => (string?)obj?[key];

    private static List<string> Conditions(GenericObject obj) =>
        ((obj.Status?["conditions"] as JsonArray)?.OfType<JsonObject>() ?? [])
            .Select(c => $"{c["type"]}={c["status"]}:{c["reason"]}").ToList();
}
