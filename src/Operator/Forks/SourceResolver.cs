using Vers.Api;
using Vers.Kube;

namespace Vers.Operator.Forks;

/// <summary>The source of a fork: the org's namespace, the commit the tag points at and its snapshot.</summary>
public sealed record ResolvedSource(string Namespace, Repository Repository, Tag Tag, Commit Commit, GenericObject Snapshot);

/// <summary>
/// Resolves org → namespace → Repository → Tag → Commit → VirtualMachineSnapshot. A repository that is private and not
/// the caller's own is reported exactly like a missing one.
/// <para>
/// Reads the informer caches first; a fork whose source they hold costs no request. A miss there is not an answer:
/// every informer has a watch of its own and nothing orders events across them, so the RepositoryFork informer can
/// deliver a fork before the namespace, Repository, Tag, Commit or snapshot informer delivers the source created just
/// before it. Before a fork is failed for its source, the API server is asked (controller-runtime's APIReader for
/// decisions a stale cache must not make), through the same rules, visibility included. That costs a few reads on
/// the failure path only, and no waiting: the failure of a source that truly is missing stays prompt. (Waiting for
/// the informers to reach the fork's resourceVersion is no alternative: resourceVersions are opaque, not to be
/// compared across objects.)
/// </para>
/// </summary>
public sealed class SourceResolver(ISourceReader cache, ISourceReader live)
{
    /// <summary>The organisation namespace <paramref name="ns"/> is, confirmed with the API server when the cache says none.</summary>
    public async Task<string?> OrgOfAsync(string ns, CancellationToken ct) =>
        await cache.OrgOfAsync(ns, ct) ?? await live.OrgOfAsync(ns, ct);

    public async Task<(ResolvedSource? Source, string? Error)> ResolveAsync(RepositoryForkSpec spec, string callerNamespace, CancellationToken ct)
    {
        var cached = await ResolveAsync(cache, spec, callerNamespace, ct);
        return cached.Source is not null ? cached : await ResolveAsync(live, spec, callerNamespace, ct);
    }

    private static async Task<(ResolvedSource? Source, string? Error)> ResolveAsync(
        ISourceReader reader, RepositoryForkSpec spec, string callerNamespace, CancellationToken ct)
    {
        var notFound = ForkReasons.SourceNotFoundMessage(spec.SourceOrg, spec.SourceRepo, spec.SourceTag);
        if (await FindTagAsync(reader, spec.SourceOrg, spec.SourceRepo, spec.SourceTag, callerNamespace, ct) is not { } found)
        {
            return (null, notFound);
        }

        var (ns, repository, tag) = found;

        var commit = await reader.CommitAsync(ns, tag.Spec.CommitId, ct);
        var snapshot = commit is null ? null : await reader.SnapshotAsync(ns, commit.Spec.SnapshotName, ct);
        if (commit is null || snapshot is null)
        {
            return (null, notFound);
        }

        if (snapshot.Status?["readyToUse"]?.GetValue<bool>() != true)
        {
            return (null, $"source commit {commit.Metadata.Name} of {spec.SourceOrg}/{spec.SourceRepo}:{spec.SourceTag} is not ready to use");
        }

        return (new ResolvedSource(ns, repository, tag, commit, snapshot), null);
    }

    /// <summary>
    /// org/repo:tag as <paramref name="callerNamespace"/> may see it: the org's namespace, its Repository — public, or
    /// the caller's own — and the Tag; null for anything missing or hidden, alike. The one visibility rule, shared with
    /// the fork API's preflight.
    /// </summary>
    public static async Task<(string Namespace, Repository Repository, Tag Tag)?> FindTagAsync(
        ITagReader reader, string org, string repo, string tagName, string callerNamespace, CancellationToken ct)
    {
        if (!VersNames.IsValid(repo) || !VersNames.IsValid(tagName) || await reader.NamespaceOfAsync(org, ct) is not { } ns)
        {
            return null;
        }

        var repository = await reader.RepositoryAsync(ns, VersNames.ToObjectName(repo), ct);
        if (repository is null || repository.Spec.Name != repo || repository.Metadata.DeletionTimestamp is not null)
        {
            return null;
        }

        if (repository.Spec.Visibility != Visibility.Public && ns != callerNamespace)
        {
            return null;
        }

        var tag = await reader.TagAsync(ns, VersNames.TagObjectName(repo, tagName), ct);
        if (tag is null || tag.Spec.Repository != repo || tag.Spec.Tag != tagName)
        {
            return null;
        }

        return (ns, repository, tag);
    }
}
