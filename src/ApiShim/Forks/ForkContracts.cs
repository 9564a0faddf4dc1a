using System.Text.Json.Serialization;

namespace Vers.ApiShim.Forks;

/// <summary>Request body of POST /api/v1/repositories/fork (the seed's ForkRepositoryRequest).</summary>
public sealed record ForkRepositoryRequest(
    [property: JsonPropertyName("source_org")] string SourceOrg,
    [property: JsonPropertyName("source_repo")] string SourceRepo,
    [property: JsonPropertyName("source_tag")] string SourceTag,
    [property: JsonPropertyName("repo_name")] string? RepoName,
    [property: JsonPropertyName("tag_name")] string? TagName);

/// <summary>201 body (the seed's ForkRepositoryResponse).</summary>
public sealed record ForkRepositoryResponse(
    [property: JsonPropertyName("vm_id")] string VmId,
    [property: JsonPropertyName("commit_id")] string CommitId,
    [property: JsonPropertyName("repo_name")] string RepoName,
    [property: JsonPropertyName("tag_name")] string TagName,
    [property: JsonPropertyName("reference")] string Reference);

/// <summary>Every error answer (the seed's ErrorResponse): success is always false.</summary>
public sealed record ErrorResponse([property: JsonPropertyName("error")] string Error)
{
    [JsonPropertyName("success")]
    public bool Success => false;
}
