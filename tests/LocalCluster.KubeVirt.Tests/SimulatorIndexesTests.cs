using System.Text.Json.Nodes;
using Vers.LocalCluster.KubeVirt;
using Vers.Kube;
using T = Vers.Api.KubeVirt.KubeVirtTypes;

namespace Vers.LocalCluster.KubeVirt.Tests;

/// <summary>The simulator's watch mappings: which objects an event on another kind wakes, exactly.</summary>
public sealed class SimulatorIndexesTests
{
    private const string OrgA = "org-a";
    private const string OrgB = "org-b";

    [Fact]
    public async Task A_data_volume_wakes_exactly_the_vms_with_a_volume_on_it_in_its_namespace()
    {
        await using var c = await SimulatorCaches.StartAsync(OrgA, OrgB);
        await c.CreateAsync(T.VirtualMachine, VmUsing("uses-disk", OrgA, "disk"));
        await c.CreateAsync(T.VirtualMachine, VmUsing("uses-disk-twice", OrgA, "disk", "disk"));
        await c.CreateAsync(T.VirtualMachine, VmUsing("uses-other", OrgA, "other"));
        await c.CreateAsync(T.VirtualMachine, VmUsing("same-name-elsewhere", OrgB, "disk"));
        var disk = await c.CreateAsync(T.DataVolume, BlankDataVolume("disk", OrgA));
        await c.SyncAsync();

        Assert.Equal(["org-a/uses-disk", "org-a/uses-disk-twice"], Sorted(SimulatorIndexes.VmsUsing(c.Context, disk)));
    }

    [Fact]
    public async Task A_vm_wakes_exactly_its_snapshots()
    {
        await using var c = await SimulatorCaches.StartAsync(OrgA, OrgB);
        var vm = await c.CreateAsync(T.VirtualMachine, VmUsing("vm1", OrgA, "disk"));
        await c.CreateAsync(T.VirtualMachineSnapshot, KubeVirtSamples.Snapshot("of-vm1", OrgA, "vm1"));
        await c.CreateAsync(T.VirtualMachineSnapshot, KubeVirtSamples.Snapshot("of-vm2", OrgA, "vm2"));
        await c.CreateAsync(T.VirtualMachineSnapshot, KubeVirtSamples.Snapshot("of-vm1-elsewhere", OrgB, "vm1"));
        await c.SyncAsync();

        Assert.Equal(["org-a/of-vm1"], Sorted(SimulatorIndexes.SnapshotsOf(c.Context, vm)));
    }

    [Fact]
    public async Task A_source_wakes_exactly_the_clones_of_that_kind_and_name_in_its_namespace()
    {
        await using var c = await SimulatorCaches.StartAsync(OrgA, OrgB);
        await c.CreateAsync(T.VirtualMachineClone, KubeVirtSamples.Clone("from-snapshot", OrgA, "x", "t1"));
        await c.CreateAsync(T.VirtualMachineClone, CloneOfVm("from-vm", OrgA, "x"));
        await c.CreateAsync(T.VirtualMachineClone, KubeVirtSamples.Clone("from-other", OrgA, "y", "t3"));
        await c.CreateAsync(T.VirtualMachineClone, KubeVirtSamples.Clone("elsewhere", OrgB, "x", "t4"));
        await c.SyncAsync();

        Assert.Equal(["org-a/from-snapshot"], Sorted(SimulatorIndexes.ClonesOf(c.Context, OrgA, "VirtualMachineSnapshot", "x")));
        Assert.Equal(["org-a/from-vm"], Sorted(SimulatorIndexes.ClonesOf(c.Context, OrgA, "VirtualMachine", "x")));
        Assert.Empty(SimulatorIndexes.ClonesOf(c.Context, OrgA, "VirtualMachineSnapshot", null));
    }

    [Fact]
    public async Task A_volume_snapshot_wakes_the_data_volumes_restoring_it_in_every_namespace()
    {
        await using var c = await SimulatorCaches.StartAsync(OrgA, OrgB);
        var vs = await c.CreateAsync(T.VolumeSnapshot, VolumeSnapshot("vs", OrgA));
        await c.CreateAsync(T.DataVolume, KubeVirtSamples.DataVolumeFromSnapshot("across", OrgB, OrgA, "vs"));
        await c.CreateAsync(T.DataVolume, KubeVirtSamples.DataVolumeFromSnapshot("same-namespace", OrgA, OrgA, "vs"));
        await c.CreateAsync(T.DataVolume, KubeVirtSamples.DataVolumeFromSnapshot("same-name-other-namespace", OrgA, OrgB, "vs"));
        await c.CreateAsync(T.DataVolume, KubeVirtSamples.DataVolumeFromSnapshot("other-snapshot", OrgA, OrgA, "other"));
        await c.CreateAsync(T.DataVolume, BlankDataVolume("blank", OrgA));
        await c.SyncAsync();

        Assert.Equal(["org-a/same-namespace", "org-b/across"], Sorted(SimulatorIndexes.DataVolumesRestoring(c.Context, vs)));
    }

    [Fact]
    public async Task A_vm_whose_volumes_change_is_found_under_its_new_data_volume_only()
    {
        await using var c = await SimulatorCaches.StartAsync(OrgA, OrgB);
        await c.CreateAsync(T.VirtualMachine, VmUsing("vm1", OrgA, "old"));
        var old = await c.CreateAsync(T.DataVolume, BlankDataVolume("old", OrgA));
        var @new = await c.CreateAsync(T.DataVolume, BlankDataVolume("new", OrgA));
        await c.SyncAsync();

        await c.Rest.PatchAsync<GenericObject>(T.VirtualMachine, OrgA, "vm1",
            new { spec = new { template = new { spec = new { volumes = new[] { new { name = "root", dataVolume = new { name = "new" } } } } } } },
            TestContext.Current.CancellationToken);
        await c.UntilAsync(() => SimulatorIndexes.VmsUsing(c.Context, @new).Any());

        Assert.Empty(SimulatorIndexes.VmsUsing(c.Context, old));
        Assert.Equal(["org-a/vm1"], Sorted(SimulatorIndexes.VmsUsing(c.Context, @new)));
    }

    [Fact]
    public async Task A_deleted_vm_is_found_no_more()
    {
        await using var c = await SimulatorCaches.StartAsync(OrgA, OrgB);
        await c.CreateAsync(T.VirtualMachine, VmUsing("vm1", OrgA, "disk"));
        var disk = await c.CreateAsync(T.DataVolume, BlankDataVolume("disk", OrgA));
        await c.SyncAsync();

        await c.Rest.DeleteAsync(T.VirtualMachine, OrgA, "vm1", TestContext.Current.CancellationToken);
        await c.UntilAsync(() => c.Context.VirtualMachines.Get(OrgA, "vm1") is null);

        Assert.Empty(SimulatorIndexes.VmsUsing(c.Context, disk));
    }

    private static List<string> Sorted(IEnumerable<ObjectKey> keys) => keys.Select(k => k.ToString()).Order(StringComparer.Ordinal).ToList();

    private static JsonObject VmUsing(string name, string ns, params string[] dataVolumes)
    {
        var vm = KubeVirtSamples.VirtualMachine(name, ns);
        vm["spec"]!.AsObject().Remove("dataVolumeTemplates");
        vm["spec"]!["template"]!["spec"]!["volumes"] = new JsonArray([.. dataVolumes.Select((dv, i) =>
            (JsonNode)new JsonObject { ["name"] = $"v{i}", ["dataVolume"] = new JsonObject { ["name"] = dv } })]);
        vm["spec"]!["template"]!["spec"]!["domain"]!["devices"]!["disks"] = new JsonArray([.. dataVolumes.Select((_, i) =>
            (JsonNode)new JsonObject { ["name"] = $"v{i}", ["disk"] = new JsonObject { ["bus"] = "virtio" } })]);
        return vm;
    }

    private static JsonObject CloneOfVm(string name, string ns, string vmName)
    {
        var clone = KubeVirtSamples.Clone(name, ns, vmName, "t2");
        clone["spec"]!["source"] = new JsonObject { ["apiGroup"] = "kubevirt.io", ["kind"] = "VirtualMachine", ["name"] = vmName };
        return clone;
    }

    internal static JsonObject BlankDataVolume(string name, string ns) => JsonNode.Parse($$"""
        { "apiVersion": "cdi.kubevirt.io/v1beta1", "kind": "DataVolume", "metadata": { "name": "{{name}}", "namespace": "{{ns}}" },
          "spec": { "source": { "blank": {} }, "storage": { "resources": { "requests": { "storage": "1Gi" } } } } }
        """)!.AsObject();

    private static JsonObject VolumeSnapshot(string name, string ns) => JsonNode.Parse($$"""
        { "apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshot", "metadata": { "name": "{{name}}", "namespace": "{{ns}}" },
          "spec": { "source": { "persistentVolumeClaimName": "pvc" } } }
        """)!.AsObject();
}
