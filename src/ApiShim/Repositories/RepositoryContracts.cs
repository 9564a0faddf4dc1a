using System.Text.Json.Serialization;

namespace Vers.ApiShim.Repositories;

/// <summary>A repository of the caller's org (Vers' RepositoryInfo).</summary>
public sealed record RepositoryInfo(
    [property: JsonPropertyName("repo_id")] string RepoId,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("is_public")] bool IsPublic,
    [property: JsonPropertyName("created_at")] string CreatedAt,
    [property: JsonPropertyName("description"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Description);

/// <summary>A public repository as every org sees it (Vers' PublicRepositoryInfo).</summary>
public sealed record PublicRepositoryInfo(
    [property: JsonPropertyName("repo_id")] string RepoId,
    [property: JsonPropertyName("org_name")] string OrgName,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("full_name")] string FullName,
    [property: JsonPropertyName("created_at")] string CreatedAt,
    [property: JsonPropertyName("description"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Description);

/// <summary>A tag of a repository (Vers' RepoTagInfo).</summary>
public sealed record RepoTagInfo(
    [property: JsonPropertyName("tag_id")] string TagId,
    [property: JsonPropertyName("tag_name")] string TagName,
    [property: JsonPropertyName("reference")] string Reference,
    [property: JsonPropertyName("commit_id")] string CommitId,
    [property: JsonPropertyName("created_at")] string CreatedAt,
    [property: JsonPropertyName("updated_at")] string UpdatedAt,
    [property: JsonPropertyName("description"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Description);

public sealed record RepositoriesResponse([property: JsonPropertyName("repositories")] IReadOnlyList<RepositoryInfo> Repositories);

public sealed record PublicRepositoriesResponse([property: JsonPropertyName("repositories")] IReadOnlyList<PublicRepositoryInfo> Repositories);

/// <summary>GET …/tags: the repository's name and its tags.</summary>
public sealed record RepositoryTagsResponse(
    [property: JsonPropertyName("repository")] string Repository,
    [property: JsonPropertyName("tags")] IReadOnlyList<RepoTagInfo> Tags);
