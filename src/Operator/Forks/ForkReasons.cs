using System.Net;

namespace Vers.Operator.Forks;

/// <summary>Why a fork failed (status.error.reason) and the HTTP status the fork API answers for it.</summary>
public static class ForkReasons
{
    public const string Invalid = "Invalid";
    public const string SourceNotFound = "SourceNotFound";
    public const string TargetExists = "TargetExists";
    public const string CloneFailed = "CloneFailed";
    public const string VmFailed = "VmFailed";
    public const string SnapshotFailed = "SnapshotFailed";
    public const string Timeout = "Timeout";
    public const string Deleted = "Deleted";
    public const string InternalError = "InternalError";

    public static HttpStatusCode ToHttpStatus(string? reason) => reason switch
    {
        Invalid => HttpStatusCode.BadRequest,
        SourceNotFound => HttpStatusCode.NotFound,
        TargetExists => HttpStatusCode.Conflict,
        _ => HttpStatusCode.InternalServerError,
    };

    /// <summary>
    /// One message for a missing org, repository, tag or a foreign private repository, so that a
    /// private repository is indistinguishable from a missing one.
    /// </summary>
    public static string SourceNotFoundMessage(string org, string repo, string tag) =>
        $"source repository or tag not found: {org}/{repo}:{tag}";
}
