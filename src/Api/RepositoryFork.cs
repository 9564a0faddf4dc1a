using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using k8s.Models;
using Vers.Api.Crds;
using Vers.Kube;

namespace Vers.Api;

public enum ForkPhase
{
    Pending,
    Running,
    Succeeded,
    Failed,
}

[KubernetesEntity(Group = VersGroup.Group, ApiVersion = VersGroup.Version, Kind = "RepositoryFork", PluralName = "repositoryforks")]
[ShortNames("rfork")]
[Categories(VersGroup.Category)]
[Description("A request to fork a tag of a repository (usually another organisation's public one) into this namespace's organisation: the operator clones the VM, starts it, commits it and records the new Repository, Commit and Tag.")]
[PrinterColumn("Source", ".status.source")]
[PrinterColumn("Reference", ".status.reference")]
[PrinterColumn("Phase", ".status.phase")]
[PrinterColumn("VM", ".status.vmId")]
[PrinterColumn("Commit", ".status.commitId")]
[PrinterColumn("Reason", ".status.error.reason", Priority = 1)]
[PrinterColumn("Age", ".metadata.creationTimestamp", "date")]
public sealed class RepositoryFork() : VersObject<RepositoryForkSpec, RepositoryForkStatus>("RepositoryFork")
{
    public static readonly ResourceType Type = ResourceType.For<RepositoryFork>();
}

[Immutable("spec is immutable: create a new RepositoryFork instead")]
[Description("What to fork and into which names; immutable once created.")]
public sealed class RepositoryForkSpec
{
    [Required]
    [StringLength(63, MinimumLength = 1)]
    [Description("The organisation that owns the source repository.")]
    public string SourceOrg { get; set; } = "";

    [Required]
    [RegularExpression(VersNames.Pattern)]
    [Description("The source repository name.")]
    public string SourceRepo { get; set; } = "";

    [Required]
    [RegularExpression(VersNames.Pattern)]
    [Description("The tag to fork, e.g. latest or v1.0.")]
    public string SourceTag { get; set; } = "";

    [RegularExpression(VersNames.Pattern)]
    [Description("Name of the new repository in this organisation; defaults to sourceRepo.")]
    public string? RepoName { get; set; }

    [RegularExpression(VersNames.Pattern)]
    [Description("Tag name in the new repository; defaults to sourceTag.")]
    public string? TagName { get; set; }

    [Minimum(0)]
    [Description("Delete this RepositoryFork (never what it created) this many seconds after it finished.")]
    public long? TtlSecondsAfterFinished { get; set; }

    [Minimum(0)]
    [Description("For a fork that failed: delete this RepositoryFork this many seconds after it finished, instead of ttlSecondsAfterFinished (a failure is worth keeping for less time than a result).")]
    public long? TtlSecondsAfterFailure { get; set; }
}

public sealed class ForkError
{
    [Required]
    [Description("Machine-readable cause: Invalid, SourceNotFound, TargetExists, UnsupportedSource, SourceLost, Rejected, CloneFailed, VmFailed, SnapshotFailed, SnapshotIncomplete, Timeout, Deleted or InternalError.")]
    public string Reason { get; set; } = "";

    [Required]
    [Description("Human-readable explanation.")]
    public string Message { get; set; } = "";
}

[Description("Progress and outcome of the fork, written by the operator.")]
public sealed class RepositoryForkStatus
{
    [Description("Pending, Running, Succeeded or Failed.")]
    public ForkPhase? Phase { get; set; }

    [Description("sourceOrg/sourceRepo:sourceTag, for display.")]
    public string? Source { get; set; }

    [Description("The new VirtualMachine (its name in this namespace). Chosen before it is created.")]
    public string? VmId { get; set; }

    [Description("The new commit id (uuid); also the name of the Commit and of its VirtualMachineSnapshot. Chosen before they are created.")]
    public string? CommitId { get; set; }

    [Description("The new repository's name.")]
    public string? RepoName { get; set; }

    [Description("The new tag's name.")]
    public string? TagName { get; set; }

    [Description("repoName:tagName.")]
    public string? Reference { get; set; }

    [Description("Why the fork failed, when phase is Failed.")]
    public ForkError? Error { get; set; }

    [Description("CreatingVM while the fork works through its steps, RollingBack while a failed fork removes what it created, Done once it finished.")]
    public string? Step { get; set; }

    [Description("The resolved source: namespace, commit and VirtualMachineSnapshot.")]
    public ForkSourceStatus? Resolved { get; set; }

    [Description("The generation of the spec this status describes.")]
    public long? ObservedGeneration { get; set; }

    [Description("When the operator started working on the fork.")]
    public DateTime? StartTime { get; set; }

    [Description("When the fork reached Succeeded or Failed.")]
    public DateTime? CompletionTime { get; set; }

    [ListMap("type")]
    [Description("Standard conditions; Ready is True when the fork succeeded, False with the reason when it failed.")]
    public IList<V1Condition>? Conditions { get; set; }
}

public sealed class ForkSourceStatus
{
    [Description("Namespace of the source organisation.")]
    public string? Namespace { get; set; }

    [Description("The source commit id the tag pointed at.")]
    public string? CommitId { get; set; }

    [Description("The source VirtualMachineSnapshot.")]
    public string? Snapshot { get; set; }

    [Description("VirtualMachineClone (same namespace) or DataVolumes (across namespaces).")]
    public string? Method { get; set; }

    [Description("The volumes the source commit backed up: the fork makes one disk per volume, named after the new VM and the volume.")]
    public IList<string>? Volumes { get; set; }
}
