using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using k8s.Models;
using Vers.Api.Crds;
using Vers.Kube;

namespace Vers.Api;

[KubernetesEntity(Group = VersGroup.Group, ApiVersion = VersGroup.Version, Kind = "Commit", PluralName = "commits")]
[ShortNames("vcommit")]
[Categories(VersGroup.Category)]
[Description("A Vers commit: an immutable snapshot of a VM (a KubeVirt VirtualMachineSnapshot). The object name is the commit id.")]
[PrinterColumn("Snapshot", ".spec.snapshotName")]
[PrinterColumn("VM", ".spec.sourceVm")]
[PrinterColumn("Ready", ".status.readyToUse", "boolean")]
[PrinterColumn("Parent", ".spec.parentCommit.commitId", Priority = 1)]
[PrinterColumn("Age", ".metadata.creationTimestamp", "date")]
public sealed class Commit() : VersObject<CommitSpec, CommitStatus>("Commit")
{
    public static readonly ResourceType Type = ResourceType.For<Commit>();
}

[Description("The commit: the snapshot that holds it and where it came from.")]
public sealed class CommitSpec
{
    [Required]
    [Description("Name of the VirtualMachineSnapshot (snapshot.kubevirt.io) in this namespace that holds the commit's state.")]
    public string SnapshotName { get; set; } = "";

    [Description("Name of the VirtualMachine the snapshot was taken of.")]
    public string? SourceVm { get; set; }

    [Description("The commit this one was made from, possibly in another organisation.")]
    public CommitParent? ParentCommit { get; set; }
}

public sealed class CommitParent
{
    [Required]
    [Description("Organisation of the parent commit.")]
    public string Org { get; set; } = "";

    [Required]
    [Description("Id (uuid) of the parent commit.")]
    public string CommitId { get; set; } = "";
}

[Description("The observed state of the commit.")]
public sealed class CommitStatus
{
    [Description("The generation of the spec this status describes.")]
    public long? ObservedGeneration { get; set; }

    [Description("True when the snapshot can be restored or forked.")]
    public bool? ReadyToUse { get; set; }

    [ListMap("type")]
    [Description("Standard conditions; Ready mirrors readyToUse.")]
    public IList<V1Condition>? Conditions { get; set; }
}
