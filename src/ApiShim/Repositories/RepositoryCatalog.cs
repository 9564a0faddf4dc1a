using Vers.ApiShim.Hosting;
using Vers.Operator.Entities;
using Vers.Operator.Forks;
using Vers.Operator.Runtime.Informers;

namespace Vers.ApiShim.Repositories;

/// <summary>
/// Repositories and tags as Vers' read endpoints show them, answered from informer caches (no API
/// request per call). A private repository of another org is reported exactly like a missing one.
/// </summary>
public sealed class RepositoryCatalog(ResourceInformer<Repository> repositories, ResourceInformer<Tag> tags, OrgDirectory orgs)
{
    public static string NotFound(string repo) => $"repository not found: {repo}";

    public static string PublicNotFound(string org, string repo) => $"repository not found: {org}/{repo}";

    public PublicRepositoriesResponse PublicRepositories() => new(
        repositories.List()
            .Where(r => IsLive(r) && r.Spec.Visibility == Visibility.Public)
            .Select(r => (Repo: r, Org: orgs.OrgOf(r.Metadata.NamespaceProperty)))
            .Where(x => x.Org is not null)
            .Select(x => new PublicRepositoryInfo(
                x.Repo.Metadata.Uid, x.Org!, x.Repo.Spec.Name, $"{x.Org}/{x.Repo.Spec.Name}", Timestamps.Format(x.Repo.Metadata.CreationTimestamp) ?? "", x.Repo.Spec.Description))
            .OrderBy(r => r.OrgName, StringComparer.Ordinal)
            .ThenBy(r => r.Name, StringComparer.Ordinal)
            .ToList());

    public RepositoryTagsResponse? PublicTags(string org, string repo) =>
        Find(org, repo) is { } r && r.Spec.Visibility == Visibility.Public ? TagsOf(r) : null;

    /// <summary>The org's repositories, or null when the org has no namespace.</summary>
    public RepositoriesResponse? OwnRepositories(string org) =>
        orgs.NamespaceOf(org) is { } ns
            ? new RepositoriesResponse(
                repositories.List(ns)
                    .Where(IsLive)
                    .Select(r => new RepositoryInfo(
                        r.Metadata.Uid, r.Spec.Name, r.Spec.Visibility == Visibility.Public, Timestamps.Format(r.Metadata.CreationTimestamp) ?? "", r.Spec.Description))
                    .OrderBy(r => r.Name, StringComparer.Ordinal)
                    .ToList())
            : null;

    public RepositoryTagsResponse? OwnTags(string org, string repo) => Find(org, repo) is { } r ? TagsOf(r) : null;

    private Repository? Find(string org, string repo)
    {
        if (!ApiNames.IsRepositoryOrTag(repo) || orgs.NamespaceOf(org) is not { } ns)
        {
            return null;
        }

        return repositories.Get(ns, VersNames.ToObjectName(repo)) is { } r && IsLive(r) && r.Spec.Name == repo ? r : null;
    }

    private RepositoryTagsResponse TagsOf(Repository repository) => new(
        repository.Spec.Name,
        tags.List(repository.Metadata.NamespaceProperty)
            .Where(t => t.Metadata.DeletionTimestamp is null && t.Spec.Repository == repository.Spec.Name)
            .Select(t => new RepoTagInfo(
                t.Metadata.Uid,
                t.Spec.Tag,
                t.Status?.Reference ?? $"{t.Spec.Repository}:{t.Spec.Tag}",
                t.Spec.CommitId,
                Timestamps.Format(t.Metadata.CreationTimestamp) ?? "",
                Timestamps.Format(UpdatedAt(t)) ?? "",
                null))
            .OrderBy(t => t.TagName, StringComparer.Ordinal)
            .ToList());

    /// <summary>
    /// When the tag last changed: the newest managed-fields entry, else its creation. (The tags informer keeps
    /// managedFields entries, without their field sets, for this.)
    /// </summary>
    private static DateTime? UpdatedAt(Tag tag) =>
        tag.Metadata.ManagedFields?.Select(m => m.Time).OfType<DateTime>().DefaultIfEmpty().Max() is { } t && t != default
            ? (tag.Metadata.CreationTimestamp is { } c && c > t ? c : t)
            : tag.Metadata.CreationTimestamp;

    private static bool IsLive(Repository repository) => repository.Metadata.DeletionTimestamp is null;
}
