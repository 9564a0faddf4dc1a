using System.Net;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Vers.Operator.Entities;
using Vers.Operator.Forks;
using Vers.Operator.Runtime;
using Vers.Operator.Runtime.Client;

namespace Vers.ApiShim.Forks;

/// <summary>The outcome of a fork request: an HTTP status and either the 201 body or an error message.</summary>
public sealed record ForkOutcome(HttpStatusCode Status, ForkRepositoryResponse? Response, string? Error);

/// <summary>Turns a fork request into a RepositoryFork in the caller's org namespace and its finished status into the answer.</summary>
public sealed class ForkService(IKubernetes client, OrgDirectory orgs, ForkWaiter waiter, ILogger<ForkService> logger)
{
    public const string CreatedByLabel = "vers.sh/created-by";
    public const string CreatedBy = "api-shim";

    private readonly KubeRestClient _client = new(client);

    public async Task<ForkOutcome> ForkAsync(string org, ForkRepositoryRequest request, TimeSpan waitTimeout, CancellationToken ct)
    {
        var ns = orgs.NamespaceOf(org);
        if (ns is null)
        {
            logger.LogError("Organisation {Org} has no namespace labelled {Label}", org, VersGroup.OrgLabel);
            return new ForkOutcome(HttpStatusCode.InternalServerError, null, $"organisation {org} has no namespace on this cluster");
        }

        var fork = new RepositoryFork
        {
            Metadata = new V1ObjectMeta
            {
                GenerateName = "fork-",
                NamespaceProperty = ns,
                Labels = new Dictionary<string, string> { [CreatedByLabel] = CreatedBy },
                // Set here so the operator does not spend a write adding it.
                Finalizers = [ForkOptions.Finalizer],
            },
            Spec = new RepositoryForkSpec
            {
                SourceOrg = request.SourceOrg,
                SourceRepo = request.SourceRepo,
                SourceTag = request.SourceTag,
                RepoName = request.RepoName,
                TagName = request.TagName,
            },
        };
        var created = await _client.CreateAsync(RepositoryFork.Type, ns, fork, ct, "vers-api-shim");
        logger.LogInformation(
            "Org {Org} requested fork {Namespace}/{Name} of {SourceOrg}/{SourceRepo}:{SourceTag}",
            org, ns, created.Metadata.Name, request.SourceOrg, request.SourceRepo, request.SourceTag);
        var finished = await waiter.WaitAsync(ObjectKey.Of(created), waitTimeout, ct);
        return finished is null
            ? new ForkOutcome(HttpStatusCode.InternalServerError, null, $"the fork is still running after {waitTimeout.TotalSeconds:0} s; it continues as RepositoryFork {ns}/{created.Metadata.Name}")
            : ToOutcome(finished);
    }

    public static ForkOutcome ToOutcome(RepositoryFork fork)
    {
        var status = fork.Status!;
        if (status.Phase == ForkPhase.Succeeded)
        {
            return new ForkOutcome(
                HttpStatusCode.Created,
                new ForkRepositoryResponse(status.VmId!, status.CommitId!, status.RepoName!, status.TagName!, status.Reference!),
                null);
        }

        var reason = status.Error?.Reason;
        var code = ForkReasons.ToHttpStatus(reason);
        // Internal failures keep their detail in the RepositoryFork's status and events, not in the answer.
        var message = code == HttpStatusCode.InternalServerError
            ? $"fork failed ({reason ?? "unknown"}): {status.Error?.Message}"
            : status.Error?.Message ?? "fork failed";
        return new ForkOutcome(code, null, message);
    }
}
