using System.Net;
using Vers.Operator.Entities;
using Vers.Operator.Forks;
using Vers.Operator.Runtime.Informers;

namespace Vers.ApiShim.Forks;

/// <summary>
/// The answers a fork request can be given before any work, from the API's caches: the source org, repository or tag
/// does not exist or is another org's private repository (404, worded exactly as the operator words it, so a private
/// repository stays indistinguishable from a missing one), or the target repository name is taken (409). Such a
/// request creates no RepositoryFork. What the caches cannot tell (the source commit's snapshot, a VM that cannot be
/// carried across organisations, a target claimed a moment ago) is still decided by the operator, on a fork object.
/// </summary>
public sealed class ForkPreflight(ResourceInformer<Repository> repositories, ResourceInformer<Tag> tags, OrgDirectory orgs)
{
    /// <summary>The answer the fork would end with, when the caches already know it; null when the fork has to run.</summary>
    public ForkOutcome? Check(string callerNamespace, ForkRepositoryRequest request)
    {
        var notFound = new ForkOutcome(
            HttpStatusCode.NotFound, null, ForkReasons.SourceNotFoundMessage(request.SourceOrg, request.SourceRepo, request.SourceTag));
        if (orgs.NamespaceOf(request.SourceOrg) is not { } sourceNamespace)
        {
            return notFound;
        }

        var repository = repositories.Get(sourceNamespace, VersNames.ToObjectName(request.SourceRepo));
        if (repository is null || repository.Spec.Name != request.SourceRepo || repository.Metadata.DeletionTimestamp is not null
            || (repository.Spec.Visibility != Visibility.Public && sourceNamespace != callerNamespace))
        {
            return notFound;
        }

        var tag = tags.Get(sourceNamespace, VersNames.TagObjectName(request.SourceRepo, request.SourceTag));
        if (tag is null || tag.Spec.Repository != request.SourceRepo || tag.Spec.Tag != request.SourceTag)
        {
            return notFound;
        }

        var target = request.RepoName ?? request.SourceRepo;
        return repositories.Get(callerNamespace, VersNames.ToObjectName(target)) is not null
            ? new ForkOutcome(HttpStatusCode.Conflict, null, $"repository {target} already exists")
            : null;
    }
}
