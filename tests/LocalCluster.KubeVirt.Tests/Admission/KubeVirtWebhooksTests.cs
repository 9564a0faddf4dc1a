using System.Net;
using System.Text.Json.Nodes;
using Vers.LocalCluster.KubeVirt.Admission;
using Vers.Kube.Client;
using static Vers.LocalCluster.KubeVirt.Tests.KubeVirtHarness;
using static Vers.LocalCluster.KubeVirt.Tests.KubeVirtSamples;
using T = Vers.Api.KubeVirt.KubeVirtTypes;

namespace Vers.LocalCluster.KubeVirt.Tests.Admission;

/// <summary>
/// virt-api's webhooks for snapshots, restores and clones (KubeVirt v1.9 webhooks.go), as kube-apiserver surfaces their answers
/// (apiserver webhook/errors statuserror.go: <c>admission webhook "&lt;name&gt;" denied the request: &lt;message&gt;</c>).
/// </summary>
public sealed class KubeVirtWebhooksTests
{
    /// <summary>storage/admitters/vmsnapshot.go Admit (gate, ToAdmissionResponseError → 400) with featuregate IsEnabled reading disabledFeatureGates.</summary>
    [Fact]
    public async Task With_the_Snapshot_gate_disabled_creating_a_vm_snapshot_is_refused_with_400()
    {
        await using var h = await StartAsync();
        await DisableSnapshotGateAsync(h);

        var refused = await Assert.ThrowsAsync<KubeApiException>(() => h.CreateAsync(T.VirtualMachineSnapshot, Snapshot("snap", Ns, "vm1")));

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(
            "admission webhook \"virtualmachinesnapshot-validator.snapshot.kubevirt.io\" denied the request: snapshot feature gate not enabled",
            refused.Status?.Message);
    }

    /// <summary>virt-api admitters/vmclone-admitter.go Admit: the clone's gate message says "is not enabled".</summary>
    [Fact]
    public async Task With_the_Snapshot_gate_disabled_creating_a_vm_clone_is_refused_with_400()
    {
        await using var h = await StartAsync();
        await DisableSnapshotGateAsync(h);

        var refused = await Assert.ThrowsAsync<KubeApiException>(() => h.CreateAsync(T.VirtualMachineClone, Clone("clone", Ns, "snap", "fork")));

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("admission webhook \"vm-clone-validator.kubevirt.io\" denied the request: snapshot feature gate is not enabled", refused.Status?.Message);
    }

    /// <summary>storage/admitters/vmrestore.go Admit: the restore's gate message.</summary>
    [Fact]
    public async Task With_the_Snapshot_gate_disabled_creating_a_vm_restore_is_refused_with_400()
    {
        await using var h = await StartAsync();
        await DisableSnapshotGateAsync(h);

        var refused = await Assert.ThrowsAsync<KubeApiException>(() => h.CreateAsync(T.VirtualMachineRestore, Restore("restore", Ns, "snap", "restored")));

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(
            "admission webhook \"virtualmachinerestore-validator.snapshot.kubevirt.io\" denied the request: Snapshot/Restore feature gate not enabled",
            refused.Status?.Message);
    }

    /// <summary>storage/admitters/vmsnapshot.go Admit: only creates are gated; an update of an existing snapshot passes.</summary>
    [Fact]
    public async Task With_the_Snapshot_gate_disabled_an_existing_vm_snapshot_can_still_be_updated()
    {
        await using var h = await StartAsync();
        await h.CreateAsync(T.VirtualMachineSnapshot, Snapshot("snap", Ns, "vm1"));
        await DisableSnapshotGateAsync(h);

        var updated = await h.PatchAsync(T.VirtualMachineSnapshot, Ns, "snap", new JsonObject
        {
            ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["kept"] = "yes" } },
        });

        Assert.Equal("yes", updated.Metadata.Labels["kept"]);
    }

    /// <summary>featuregate IsEnabled on v1.9: Snapshot is Beta, so it is on unless disabled.</summary>
    [Fact]
    public async Task By_default_the_Snapshot_gate_is_enabled()
    {
        await using var h = await StartAsync();

        var created = await h.CreateAsync(T.VirtualMachineSnapshot, Snapshot("snap", Ns, "vm1"));

        Assert.Equal("snap", created.Metadata.Name);
    }

    /// <summary>storage/admitters/vmsnapshot.go Admit: a source without apiGroup is invalid (ToAdmissionResponse → 422 Invalid).</summary>
    [Fact]
    public async Task A_vm_snapshot_whose_source_has_no_api_group_is_invalid()
    {
        await using var h = await StartAsync();
        var snapshot = Snapshot("snap", Ns, "vm1");
        snapshot["spec"]!["source"]!.AsObject().Remove("apiGroup");

        var refused = await Assert.ThrowsAsync<KubeApiException>(() => h.CreateAsync(T.VirtualMachineSnapshot, snapshot));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Equal("Invalid", refused.Reason);
        Assert.Equal("admission webhook \"virtualmachinesnapshot-validator.snapshot.kubevirt.io\" denied the request: missing apiGroup", refused.Status?.Message);
    }

    /// <summary>storage/admitters/vmsnapshot.go Admit: the spec is immutable after creation (upstream's words, "in" included).</summary>
    [Fact]
    public async Task A_vm_snapshot_spec_cannot_change_after_creation()
    {
        await using var h = await StartAsync();
        await h.CreateAsync(T.VirtualMachineSnapshot, Snapshot("snap", Ns, "vm1"));

        var refused = await Assert.ThrowsAsync<KubeApiException>(() => h.PatchAsync(T.VirtualMachineSnapshot, Ns, "snap", new JsonObject
        {
            ["spec"] = new JsonObject { ["source"] = new JsonObject { ["name"] = "vm2" } },
        }));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.EndsWith("denied the request: spec in immutable after creation", refused.Status?.Message);
    }

    /// <summary>admitters/vmclone-admitter.go Admit: a VM cannot be cloned onto itself.</summary>
    [Fact]
    public async Task A_vm_clone_whose_target_is_its_source_vm_is_invalid()
    {
        await using var h = await StartAsync();

        var refused = await Assert.ThrowsAsync<KubeApiException>(() => h.CreateAsync(T.VirtualMachineClone, CloneOfVm("clone", Ns, "vm1", "vm1")));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Equal(
            "admission webhook \"vm-clone-validator.kubevirt.io\" denied the request: Target name cannot be equal to source name when both are VirtualMachines",
            refused.Status?.Message);
    }

    /// <summary>
    /// admitters/vmclone-admitter.go Admit: every cause is collected (validateSourceAndTargetKind, then validateSource, ...) and
    /// webhooks.go ToAdmissionResponse joins them with ", ".
    /// </summary>
    [Fact]
    public async Task A_vm_clone_is_refused_with_every_problem_of_its_source_at_once()
    {
        await using var h = await StartAsync();
        var clone = Clone("clone", Ns, "disk", "fork");
        clone["spec"]!["source"] = new JsonObject { ["apiGroup"] = "", ["kind"] = "PersistentVolumeClaim", ["name"] = "disk" };

        var refused = await Assert.ThrowsAsync<KubeApiException>(() => h.CreateAsync(T.VirtualMachineClone, clone));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Equal(
            "admission webhook \"vm-clone-validator.kubevirt.io\" denied the request: Source kind is not supported, Source's APIGroup cannot be empty",
            refused.Status?.Message);
    }

    /// <summary>mutators/clone-create-mutator.go: a clone without a target gets clone-&lt;source&gt;-&lt;5 random characters&gt; (apimachinery rand.String).</summary>
    [Fact]
    public async Task A_vm_clone_without_a_target_gets_a_generated_target_name()
    {
        await using var h = await StartAsync();

        var created = await h.CreateAsync(T.VirtualMachineClone, Clone("clone", Ns, "snap", targetName: null));

        Assert.Matches("^clone-snap-[bcdfghjklmnpqrstvwxz2456789]{5}$", created.At("spec.target.name"));
        Assert.Equal(("kubevirt.io", "VirtualMachine"), (created.At("spec.target.apiGroup"), created.At("spec.target.kind")));
    }

    /// <summary>The KubeVirt resource kubevirt/kubevirt with the Snapshot gate in disabledFeatureGates, once the webhooks (the simulator's cache) see it.</summary>
    private static async Task DisableSnapshotGateAsync(KubeVirtHarness h)
    {
        await h.PatchAsync(SimulatedKubeVirt.Type, SimulatedKubeVirt.Namespace, SimulatedKubeVirt.Name, JsonNode.Parse("""
            { "spec": { "configuration": { "developerConfiguration": { "disabledFeatureGates": ["Snapshot"] } } } }
            """)!.AsObject());
        await h.UntilSimulatorSeesAsync(SimulatedKubeVirt.Type, SimulatedKubeVirt.Namespace, SimulatedKubeVirt.Name,
            kv => kv.At("spec.configuration.developerConfiguration.disabledFeatureGates") is not null);
    }
}
