using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Vers.ApiShim.Forks;

/// <summary>Request body of POST /api/v1/repositories/fork (ForkRepositoryRequest of Vers' published contract, tests/ApiShim.Tests/Contract/fork-openapi.yaml).</summary>
[Description("Request body for POST /api/v1/repositories/fork")]
public sealed record ForkRepositoryRequest(
    [property: JsonPropertyName("source_org"), Description("The organization that owns the source public repository")] string SourceOrg,
    [property: JsonPropertyName("source_repo"), Description("The source repository name")] string SourceRepo,
    [property: JsonPropertyName("source_tag"), Description("The tag to fork (e.g. \"latest\", \"v1.0\")")] string SourceTag,
    [property: JsonPropertyName("repo_name"), Description("Name for the new repository in your org (defaults to source_repo if omitted)")] string? RepoName,
    [property: JsonPropertyName("tag_name"), Description("Tag name in the new repo (defaults to source_tag if omitted)")] string? TagName);

/// <summary>201 body (ForkRepositoryResponse of the published contract).</summary>
[Description("Response body for POST /api/v1/repositories/fork")]
public sealed record ForkRepositoryResponse(
    [property: JsonPropertyName("vm_id"), Description("The new VM that was created from the fork")] string VmId,
    [property: JsonPropertyName("commit_id"), Description("The new commit in your org (snapshot of the forked VM)")] string CommitId,
    [property: JsonPropertyName("repo_name"), Description("The new repository name in your org")] string RepoName,
    [property: JsonPropertyName("tag_name"), Description("The tag name pointing to the forked commit")] string TagName,
    [property: JsonPropertyName("reference"), Description("Full reference: repo_name:tag_name")] string Reference);

/// <summary>Every error answer (ErrorResponse of the published contract): success is always false.</summary>
public sealed record ErrorResponse([property: JsonPropertyName("error"), Description("Reason of error")] string Error)
{
    [JsonPropertyName("success")]
    [Description("Is always: false")]
    public bool Success => false;
}

/// <summary>
/// A fork as an asynchronous operation (202 body and GET /api/v1/repositories/forks/{id}): when it
/// succeeded it carries the 201 fields, when it failed the error and the HTTP status the synchronous
/// call answers for it.
/// </summary>
[Description("A fork operation: pending, succeeded (with the fork's result) or failed (with the error and its HTTP status code)")]
public sealed record ForkOperation(
    [property: JsonPropertyName("id"), Description("Operation id; GET /api/v1/repositories/forks/{id} returns this operation")] string Id,
    [property: JsonPropertyName("status"), Description("pending, succeeded or failed")] string Status,
    [property: JsonPropertyName("created_at"), Description("When the fork was requested (RFC 3339)")] string CreatedAt)
{
    [JsonPropertyName("completed_at")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [Description("When the fork finished (RFC 3339)")]
    public string? CompletedAt { get; init; }

    [JsonPropertyName("vm_id")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [Description("When succeeded: the new VM that was created from the fork")]
    public string? VmId { get; init; }

    [JsonPropertyName("commit_id")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [Description("When succeeded: the new commit in your org")]
    public string? CommitId { get; init; }

    [JsonPropertyName("repo_name")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [Description("When succeeded: the new repository name in your org")]
    public string? RepoName { get; init; }

    [JsonPropertyName("tag_name")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [Description("When succeeded: the tag name pointing to the forked commit")]
    public string? TagName { get; init; }

    [JsonPropertyName("reference")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [Description("When succeeded: repo_name:tag_name")]
    public string? Reference { get; init; }

    [JsonPropertyName("error")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [Description("When failed: what went wrong")]
    public string? Error { get; init; }

    [JsonPropertyName("code")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [Description("When failed: the HTTP status code POST /api/v1/repositories/fork answers for this failure")]
    public int? Code { get; init; }
}
