using k8s;
using k8s.Models;
using Vers.ApiShim.Hosting;
using Vers.Api;
using Vers.Operator.Forks;
using Vers.Kube.Informers;

namespace Vers.ApiShim.Repositories;

/// <summary>
/// Repositories and tags as Vers' read endpoints show them, answered from informer caches (no API
/// request per call). A private repository of another org is reported exactly like a missing one.
/// </summary>
public sealed class RepositoryCatalog(ResourceInformer<Repository> repositories, ResourceInformer<Tag> tags, OrgDirectory orgs)
{
    public static string NotFound(string repo) => $"repository not found: {repo}";

    public static string PublicNotFound(string org, string repo) => $"repository not found: {org}/{repo}";

    public static string TagNotFound(string repo, string tag) => $"repository or tag not found: {repo}:{tag}";

    public static string PublicTagNotFound(string org, string repo, string tag) => $"repository or tag not found: {org}/{repo}:{tag}";

    public PublicRepositoriesResponse PublicRepositories() => new(
        repositories.List()
            .Where(r => IsLive(r) && r.Spec.Visibility == Visibility.Public)
            .Select(r => (Repo: r, Org: orgs.OrgOf(r.Metadata.NamespaceProperty)))
            .Where(x => x.Org is not null)
            .Select(x => PublicInfo(x.Repo, x.Org!))
            .OrderBy(r => r.OrgName, StringComparer.Ordinal)
            .ThenBy(r => r.Name, StringComparer.Ordinal)
            .ToList());

    public RepositoryTagsResponse? PublicTags(string org, string repo) => FindPublic(org, repo) is { } r ? TagsOf(r) : null;

    /// <summary>A public repository of <paramref name="org"/>; a private or missing one is null alike.</summary>
    public PublicRepositoryInfo? PublicRepository(string org, string repo) => FindPublic(org, repo) is { } r ? PublicInfo(r, org) : null;

    /// <summary>A tag of a public repository; null when the repository is private or missing, or has no such tag.</summary>
    public RepoTagInfo? PublicTag(string org, string repo, string tag) => FindPublic(org, repo) is { } r ? TagOf(r, tag) : null;

    /// <summary>The org's repositories, or null when the org has no namespace.</summary>
    public RepositoriesResponse? OwnRepositories(string org) =>
        orgs.NamespaceOf(org) is { } ns
            ? new RepositoriesResponse(
                repositories.List(ns)
                    .Where(IsLive)
                    .Select(OwnInfo)
                    .OrderBy(r => r.Name, StringComparer.Ordinal)
                    .ToList())
            : null;

    /// <summary>One of the org's repositories (private or public), or null.</summary>
    public RepositoryInfo? OwnRepository(string org, string repo) => Find(org, repo) is { } r ? OwnInfo(r) : null;

    public RepositoryTagsResponse? OwnTags(string org, string repo) => Find(org, repo) is { } r ? TagsOf(r) : null;

    /// <summary>
    /// Waits (at most <paramref name="within"/>) until the read endpoints show what a fork made, its repository and its
    /// tag at the new commit, so that a client reading them right after the 201 finds them: the operator writes them
    /// before it marks the fork done, but the caches follow separate watches. Woken by the caches' events, no polling.
    /// </summary>
    public async Task<bool> UntilShownAsync(string org, string repo, string tag, string commitId, TimeSpan within, CancellationToken ct)
    {
        bool Shown() => OwnRepository(org, repo) is not null && OwnTag(org, repo, tag)?.CommitId == commitId;
        if (Shown())
        {
            return true;
        }

        var shown = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Check()
        {
            if (Shown())
            {
                shown.TrySetResult();
            }
        }

        using var onRepository = repositories.AddHandler((_, _) => Check());
        using var onTag = tags.AddHandler((_, _) => Check());
        Check();
        try
        {
            await shown.Task.WaitAsync(within, ct);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>A tag of one of the org's repositories, or null when the repository or the tag does not exist.</summary>
    public RepoTagInfo? OwnTag(string org, string repo, string tag) => Find(org, repo) is { } r ? TagOf(r, tag) : null;

    private Repository? FindPublic(string org, string repo) => Find(org, repo) is { } r && r.Spec.Visibility == Visibility.Public ? r : null;

    private Repository? Find(string org, string repo)
    {
        if (!VersNames.IsValid(repo) || orgs.NamespaceOf(org) is not { } ns)
        {
            return null;
        }

        return repositories.Get(ns, VersNames.ToObjectName(repo)) is { } r && IsLive(r) && r.Spec.Name == repo ? r : null;
    }

    private RepositoryTagsResponse TagsOf(Repository repository) => new(
        repository.Spec.Name,
        tags.List(repository.Metadata.NamespaceProperty)
            .Where(t => IsLive(t) && t.Spec.Repository == repository.Spec.Name)
            .Select(TagInfo)
            .OrderBy(t => t.TagName, StringComparer.Ordinal)
            .ToList());

    private RepoTagInfo? TagOf(Repository repository, string tag) =>
        VersNames.IsValid(tag)
        && tags.Get(repository.Metadata.NamespaceProperty, VersNames.TagObjectName(repository.Spec.Name, tag)) is { } t
        && IsLive(t) && t.Spec.Repository == repository.Spec.Name && t.Spec.Tag == tag
            ? TagInfo(t)
            : null;

    private static RepositoryInfo OwnInfo(Repository r) =>
        new(r.Metadata.Uid, r.Spec.Name, r.Spec.Visibility == Visibility.Public, Timestamps.Format(r.Metadata.CreationTimestamp) ?? "", r.Spec.Description);

    private static PublicRepositoryInfo PublicInfo(Repository r, string org) =>
        new(r.Metadata.Uid, org, r.Spec.Name, $"{org}/{r.Spec.Name}", Timestamps.Format(r.Metadata.CreationTimestamp) ?? "", r.Spec.Description);

    private static RepoTagInfo TagInfo(Tag t) => new(
        t.Metadata.Uid,
        t.Spec.Tag,
        t.Status?.Reference ?? $"{t.Spec.Repository}:{t.Spec.Tag}",
        t.Spec.CommitId,
        Timestamps.Format(t.Metadata.CreationTimestamp) ?? "",
        Timestamps.Format(UpdatedAt(t)) ?? "",
        null);

    /// <summary>
    /// When the tag last changed: the newest managed-fields entry, else its creation. (The tags informer keeps
    /// managedFields entries, without their field sets, for this.)
    /// </summary>
    private static DateTime? UpdatedAt(Tag tag) =>
        tag.Metadata.ManagedFields?.Select(m => m.Time).OfType<DateTime>().DefaultIfEmpty().Max() is { } t && t != default
            ? (tag.Metadata.CreationTimestamp is { } c && c > t ? c : t)
            : tag.Metadata.CreationTimestamp;

    private static bool IsLive(IKubernetesObject<V1ObjectMeta> obj) => obj.Metadata.DeletionTimestamp is null;
}
