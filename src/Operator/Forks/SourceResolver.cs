using Vers.Operator.Entities;
using Vers.Operator.Runtime;
using Vers.Operator.Runtime.Informers;

namespace Vers.Operator.Forks;

/// <summary>The source of a fork: the org's namespace, the commit the tag points at and its snapshot.</summary>
public sealed record ResolvedSource(string Namespace, Repository Repository, Tag Tag, Commit Commit, GenericObject Snapshot);

/// <summary>
/// Resolves org → namespace → Repository → Tag → Commit → VirtualMachineSnapshot from the informer
/// caches. A repository that is private and not the caller's own is reported exactly like a missing one.
/// </summary>
public sealed class SourceResolver(
    OrgDirectory orgs,
    ResourceInformer<Repository> repositories,
    ResourceInformer<Tag> tags,
    ResourceInformer<Commit> commits,
    ResourceInformer<GenericObject> snapshots)
{
    public (ResolvedSource? Source, string? Error) Resolve(RepositoryForkSpec spec, string callerNamespace)
    {
        var notFound = ForkReasons.SourceNotFoundMessage(spec.SourceOrg, spec.SourceRepo, spec.SourceTag);
        var ns = orgs.NamespaceOf(spec.SourceOrg);
        if (ns is null || !VersNames.IsValid(spec.SourceRepo) || !VersNames.IsValid(spec.SourceTag))
        {
            return (null, notFound);
        }

        var repository = repositories.Get(ns, VersNames.ToObjectName(spec.SourceRepo));
        if (repository is null || repository.Spec.Name != spec.SourceRepo || repository.Metadata.DeletionTimestamp is not null)
        {
            return (null, notFound);
        }

        if (repository.Spec.Visibility != Visibility.Public && ns != callerNamespace)
        {
            return (null, notFound);
        }

        var tag = tags.Get(ns, VersNames.TagObjectName(spec.SourceRepo, spec.SourceTag));
        if (tag is null || tag.Spec.Repository != spec.SourceRepo || tag.Spec.Tag != spec.SourceTag)
        {
            return (null, notFound);
        }

        var commit = commits.Get(ns, tag.Spec.CommitId);
        var snapshot = commit is null ? null : snapshots.Get(ns, commit.Spec.SnapshotName);
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
}
