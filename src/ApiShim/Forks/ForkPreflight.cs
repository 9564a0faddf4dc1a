using System.Net;
using Vers.Api;
using Vers.Operator.Forks;
using Vers.Kube.Informers;

namespace Vers.ApiShim.Forks;

/// <summary>
/// The answers a fork request can be given before any work: the source org, repository or tag does not exist or is
/// another org's private repository (404, worded exactly as the operator words it, so a private repository stays
/// indistinguishable from a missing one), or the target repository name is taken (409). Such a request creates no
/// RepositoryFork. What the caches cannot tell (the source commit's snapshot, a VM that cannot be carried across
/// organisations, a target claimed a moment ago) is still decided by the operator, on a fork object.
/// <para>
/// Read from the API's caches; a 404 or a 409 only once the API server agrees (<c>live</c>, the same rule): the caches
/// may lag a source created or a repository deleted a moment ago (each informer watches on its own), and a request that
/// will succeed costs no read.
/// </para>
/// </summary>
public sealed class ForkPreflight(ITagReader cache, ITagReader? live, ResourceInformer<Repository> repositories)
{
    /// <summary>The answer the fork would end with, when it is known already; null when the fork has to run.</summary>
    public async Task<ForkOutcome?> CheckAsync(string callerNamespace, ForkRepositoryRequest request, CancellationToken ct)
    {
        if (await SourceResolver.FindTagAsync(cache, request.SourceOrg, request.SourceRepo, request.SourceTag, callerNamespace, ct) is null
            && (live is null || await SourceResolver.FindTagAsync(live, request.SourceOrg, request.SourceRepo, request.SourceTag, callerNamespace, ct) is null))
        {
            return new ForkOutcome(
                HttpStatusCode.NotFound, null, ForkReasons.SourceNotFoundMessage(request.SourceOrg, request.SourceRepo, request.SourceTag));
        }

        // The same rule for a 409: the cache may still hold a repository deleted a moment ago (a failed fork's
        // rollback, a user's delete), so a taken name is confirmed with the API server.
        var target = request.RepoName ?? request.SourceRepo;
        var name = VersNames.ToObjectName(target);
        return repositories.Get(callerNamespace, name) is not null && (live is null || await live.RepositoryAsync(callerNamespace, name, ct) is not null)
            ? new ForkOutcome(HttpStatusCode.Conflict, null, $"repository {target} already exists")
            : null;
    }
}
