using System.Text.Json.Nodes;
using k8s;
using Microsoft.Extensions.Time.Testing;
using Vers.LocalCluster.KubeVirt;
using Vers.Operator.Runtime;
using T = Vers.Operator.KubeVirt.KubeVirtTypes;

namespace Vers.LocalCluster.Tests.KubeVirt;

/// <summary>What the simulator keeps and writes beyond the objects' shapes: nothing that grows with finished objects, no repeated writes.</summary>
public sealed class SimulatorBookkeepingTests
{
    private const string OrgA = "org-a";

    [Fact]
    public async Task A_reconcile_of_a_copy_older_than_its_own_status_write_continues_from_that_write_and_writes_nothing()
    {
        // Informers not started: the cache never catches up, as in the moment before the write's event arrives.
        await using var c = await SimulatorCaches.StartAsync(OrgA);
        var created = await c.CreateAsync(T.DataVolume, SimulatorIndexesTests.BlankDataVolume("disk", OrgA));
        var reconciler = new DataVolumeReconciler(c.Context);
        var ct = TestContext.Current.CancellationToken;

        await reconciler.ReconcileAsync(Copy(created), ct);
        var again = await reconciler.ReconcileAsync(Copy(created), ct);

        Assert.Equal(1, c.Server.Requests.Count(verb: "patch", resource: "datavolumes/status"));
        Assert.Null(again.RequeueAfter);
    }

    [Fact]
    public async Task Injection_decisions_are_dropped_once_objects_finish()
    {
        await using var h = await KubeVirtHarness.StartAsync(null, null, OrgA);
        await h.CreateAsync(T.VirtualMachine, KubeVirtSamples.VirtualMachine("vm1", OrgA));
        await h.CreateAsync(T.VirtualMachineSnapshot, KubeVirtSamples.Snapshot("s1", OrgA, "vm1"));
        await h.WaitForAsync(T.VirtualMachineSnapshot, OrgA, "s1", s => (bool?)s.Status?["readyToUse"] == true, "readyToUse");
        await h.CreateAsync(T.VirtualMachineClone, KubeVirtSamples.Clone("c1", OrgA, "s1", "fork"));
        await h.WaitForAsync(T.VirtualMachineClone, OrgA, "c1", c => (string?)c.Status?["phase"] == "Succeeded", "Succeeded");

        await UntilAsync(() => h.Simulator.DecisionsHeld == 0, "no decision held");
        await UntilAsync(() => h.Simulator.OwnWritesHeld == 0, "no copy of an own write held once the informers caught up");
    }

    [Fact]
    public async Task An_object_deleted_in_flight_leaves_no_decision_behind()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await KubeVirtHarness.StartAsync(new SimulatorOptions().SetDelay("DataVolume", TimeSpan.FromHours(1)), time, OrgA);
        await h.CreateAsync(T.DataVolume, SimulatorIndexesTests.BlankDataVolume("disk", OrgA));
        await h.WaitForAsync(T.DataVolume, OrgA, "disk", d => (string?)d.Status?["phase"] == "ImportInProgress", "ImportInProgress");
        Assert.Equal(1, h.Simulator.DecisionsHeld);

        await h.Rest.DeleteAsync(T.DataVolume, OrgA, "disk", TestContext.Current.CancellationToken);

        await UntilAsync(() => h.Simulator.DecisionsHeld == 0, "the decision dropped");
    }

    private static GenericObject Copy(GenericObject obj) => KubernetesJson.Deserialize<GenericObject>(KubernetesJson.Serialize(obj));

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }
}
