using System.Net;

namespace Vers.Operator.Forks;

/// <summary>Why a fork failed (status.error.reason) and the HTTP status the fork API answers for it.</summary>
public static class ForkReasons
{
    /// <summary>The spec names something that cannot exist (bad names, a namespace that is no organisation).</summary>
    public const string Invalid = "Invalid";

    /// <summary>The source org, repository, tag or commit does not exist, or is another org's private repository.</summary>
    public const string SourceNotFound = "SourceNotFound";

    /// <summary>The target repository name is taken.</summary>
    public const string TargetExists = "TargetExists";

    /// <summary>The source VM cannot be carried into the target org (references to its own namespace, disks left out of its commit).</summary>
    public const string UnsupportedSource = "UnsupportedSource";

    /// <summary>The source commit's snapshot, or one of its volume snapshots, went away while the fork still needed it.</summary>
    public const string SourceLost = "SourceLost";

    /// <summary>The API server or an admission webhook refused a write the fork needed (4xx): quota, policy, validation, RBAC.</summary>
    public const string Rejected = "Rejected";

    /// <summary>The VirtualMachineClone or a DataVolume reached its terminal failed state.</summary>
    public const string CloneFailed = "CloneFailed";

    /// <summary>The new VM reached a state it does not leave by itself, or was deleted.</summary>
    public const string VmFailed = "VmFailed";

    /// <summary>The commit's VirtualMachineSnapshot failed.</summary>
    public const string SnapshotFailed = "SnapshotFailed";

    /// <summary>The commit's VirtualMachineSnapshot left out a disk that holds data: it cannot be a commit.</summary>
    public const string SnapshotIncomplete = "SnapshotIncomplete";

    /// <summary>The fork did not finish within its deadline, measured from status.startTime.</summary>
    public const string Timeout = "Timeout";

    /// <summary>The fork, or the Repository it was making, was deleted before the fork finished.</summary>
    public const string Deleted = "Deleted";
    public const string InternalError = "InternalError";

    public static HttpStatusCode ToHttpStatus(string? reason) => reason switch
    {
        Invalid => HttpStatusCode.BadRequest,
        SourceNotFound => HttpStatusCode.NotFound,
        TargetExists or Deleted => HttpStatusCode.Conflict,
        _ => HttpStatusCode.InternalServerError,
    };

    /// <summary>
    /// One message for a missing org, repository, tag or a foreign private repository, so that a
    /// private repository is indistinguishable from a missing one.
    /// </summary>
    public static string SourceNotFoundMessage(string org, string repo, string tag) =>
        $"source repository or tag not found: {org}/{repo}:{tag}";
}
