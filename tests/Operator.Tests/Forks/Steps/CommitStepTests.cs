using System.Text.Json.Nodes;
using k8s;
using Vers.Operator.Forks.Steps;
using Vers.Kube;

namespace Vers.Operator.Tests.Forks.Steps;

/// <summary>
/// Which VirtualMachineSnapshots may become commits. KubeVirt lists every VM volume it did not back up in
/// <c>snapshotVolumes.excludedVolumes</c> — cloud-init and containerDisk always — and adds the PartialSnapshot
/// indication only when a PVC-, DataVolume- or memory-dump-backed one is among them (snapshot.go
/// updateSnapshotSnapshotableVolumes).
/// </summary>
public sealed class CommitStepTests
{
    private static readonly GenericObject Vm = KubernetesJson.Deserialize<GenericObject>("""
        { "apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "metadata": { "name": "vm", "namespace": "dev" },
          "spec": { "template": { "spec": { "volumes": [
            { "name": "rootdisk", "dataVolume": { "name": "vm-rootdisk" } },
            { "name": "data", "persistentVolumeClaim": { "claimName": "vm-data" } },
            { "name": "cloudinit", "cloudInitNoCloud": { "userData": "#cloud-config" } } ] } } } }
        """);

    private static JsonObject Status(string excluded, string? indication = null) => JsonNode.Parse($$"""
        { "phase": "Succeeded", "snapshotVolumes": { "includedVolumes": [], "excludedVolumes": [{{excluded}}] }
          {{(indication is null ? "" : $$""", "sourceIndications": [ { "indication": "{{indication}}", "message": "m" } ]""")}} }
        """)!.AsObject();

    [Fact]
    public void Volumes_KubeVirt_never_snapshots_do_not_count()
    {
        Assert.Empty(CommitStep.LeftOut(Status("\"cloudinit\""), Vm));
    }

    [Fact]
    public void An_excluded_disk_holding_data_is_left_out()
    {
        Assert.Equal(["rootdisk", "data"], CommitStep.LeftOut(Status("\"rootdisk\", \"data\", \"cloudinit\"", "PartialSnapshot"), Vm));
    }

    [Fact]
    public void PartialSnapshot_alone_is_enough_when_the_VM_is_not_at_hand()
    {
        Assert.Equal(["data"], CommitStep.LeftOut(Status("\"data\"", "PartialSnapshot"), vm: null));
    }

    [Fact]
    public void A_complete_snapshot_leaves_nothing_out()
    {
        Assert.Empty(CommitStep.LeftOut(JsonNode.Parse("""{ "phase": "Succeeded" }""")!.AsObject(), Vm));
    }
}
