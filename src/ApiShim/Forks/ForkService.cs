using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Vers.ApiShim.Hosting;
using Vers.Operator.Entities;
using Vers.Operator.Forks;
using Vers.Operator.Runtime;
using Vers.Operator.Runtime.Client;
using Vers.Operator.Runtime.Informers;

namespace Vers.ApiShim.Forks;

/// <summary>The outcome of a fork request: an HTTP status and either the 201 body or an error message.</summary>
public sealed record ForkOutcome(HttpStatusCode Status, ForkRepositoryResponse? Response, string? Error);

/// <summary>A submitted fork (newly created, or the one an idempotent replay refers to), or why none was submitted.</summary>
public sealed record ForkSubmission(RepositoryFork? Fork, ForkOutcome? Refusal, bool Replayed);

/// <summary>Turns a fork request into a RepositoryFork in the caller's org namespace and its finished status into the answer.</summary>
public sealed partial class ForkService(
    IKubernetes client,
    OrgDirectory orgs,
    ForkWaiter waiter,
    ResourceInformer<RepositoryFork> forks,
    ApiShimOptions options,
    ILogger<ForkService> logger)
{
    public const string CreatedByLabel = "vers.sh/created-by";
    public const string CreatedBy = "api-shim";
    public const string OperationsPath = "/api/v1/repositories/forks/";

    private readonly KubeRestClient _client = new(client, KubeJson.ReadWithoutManagedFields);

    public static string OperationPath(string id) => OperationsPath + id;

    /// <summary>
    /// Creates the RepositoryFork for <paramref name="request"/>. With an idempotency key the object's
    /// name comes from (org, key): a replay finds the first request's fork and gets it back, a
    /// different request under the same key is refused with 422.
    /// </summary>
    public async Task<ForkSubmission> SubmitAsync(string org, ForkRepositoryRequest request, string? idempotencyKey, CancellationToken ct)
    {
        var ns = orgs.NamespaceOf(org);
        if (ns is null)
        {
            logger.LogError("Organisation {Org} has no namespace labelled {Label}", org, VersGroup.OrgLabel);
            return Refused(HttpStatusCode.InternalServerError, $"organisation {org} has no namespace on this cluster");
        }

        var fork = NewFork(ns, request, idempotencyKey is null ? null : Idempotency.ObjectName(org, idempotencyKey));
        if (idempotencyKey is null)
        {
            var created = await _client.CreateAsync(RepositoryFork.Type, ns, fork, ct, "vers-api-shim");
            LogRequested(org, created, request);
            return new ForkSubmission(created, null, Replayed: false);
        }

        var hash = fork.Metadata.Annotations[Idempotency.RequestHashAnnotation];
        // A few rounds: the fork found by a replay may be deleted (its TTL ran out) between create and get.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                var created = await _client.CreateAsync(RepositoryFork.Type, ns, fork, ct, "vers-api-shim");
                LogRequested(org, created, request);
                return new ForkSubmission(created, null, Replayed: false);
            }
            catch (KubeApiException e) when (e.IsAlreadyExists)
            {
                var existing = await _client.TryGetAsync<RepositoryFork>(RepositoryFork.Type, ns, fork.Metadata.Name, ct);
                if (existing is null)
                {
                    continue;
                }

                if (AnnotationOf(existing, Idempotency.RequestHashAnnotation) != hash)
                {
                    logger.LogInformation("Org {Org} reused the idempotency key of fork {Namespace}/{Name} with a different request", org, ns, existing.Metadata.Name);
                    return Refused(
                        HttpStatusCode.UnprocessableEntity,
                        $"{Idempotency.Header} was already used with a different request body; use a new key for a new request");
                }

                logger.LogInformation("Org {Org} replayed the request of fork {Namespace}/{Name}", org, ns, existing.Metadata.Name);
                return new ForkSubmission(existing, null, Replayed: true);
            }
        }

        return Refused(HttpStatusCode.InternalServerError, "the fork for this idempotency key was being deleted; retry the request");
    }

    /// <summary>Waits for <paramref name="fork"/> to finish; past <paramref name="timeout"/> answers 500 naming the operation to poll.</summary>
    public async Task<ForkOutcome> WaitAsync(RepositoryFork fork, TimeSpan timeout, CancellationToken ct)
    {
        RepositoryFork? finished;
        try
        {
            finished = await waiter.WaitAsync(ObjectKey.Of(fork), timeout, ct);
        }
        catch (InvalidOperationException e)
        {
            logger.LogWarning("Fork {Namespace}/{Name} went away while a request waited: {Message}", fork.Metadata.NamespaceProperty, fork.Metadata.Name, e.Message);
            return new ForkOutcome(HttpStatusCode.InternalServerError, null, $"the fork was deleted before it finished ({OperationPath(fork.Metadata.Name)})");
        }

        return finished is null
            ? new ForkOutcome(
                HttpStatusCode.InternalServerError,
                null,
                $"the fork is still running after {timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s and carries on; poll {OperationPath(fork.Metadata.Name)} for its outcome")
            : ToOutcome(finished);
    }

    /// <summary>
    /// The fork operation <paramref name="id"/> of <paramref name="org"/>, from the informer's cache (an API
    /// read only when the cache has not seen it yet). Other orgs' operations are not found, like missing ones.
    /// </summary>
    public async Task<RepositoryFork?> FindOperationAsync(string org, string id, CancellationToken ct)
    {
        if (!OperationId().IsMatch(id) || orgs.NamespaceOf(org) is not { } ns)
        {
            return null;
        }

        var fork = forks.Get(ns, id) ?? await _client.TryGetAsync<RepositoryFork>(RepositoryFork.Type, ns, id, ct);
        return fork is not null && fork.Metadata.Labels is { } labels && labels.TryGetValue(CreatedByLabel, out var by) && by == CreatedBy ? fork : null;
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

    public static ForkOperation ToOperation(RepositoryFork fork)
    {
        var created = Timestamps.Format(fork.Metadata.CreationTimestamp) ?? "";
        if (!ForkWaiter.IsFinished(fork))
        {
            return new ForkOperation(fork.Metadata.Name, "pending", created);
        }

        var outcome = ToOutcome(fork);
        var completed = Timestamps.Format(fork.Status?.CompletionTime);
        return outcome.Response is { } r
            ? new ForkOperation(fork.Metadata.Name, "succeeded", created)
            {
                CompletedAt = completed, VmId = r.VmId, CommitId = r.CommitId, RepoName = r.RepoName, TagName = r.TagName, Reference = r.Reference,
            }
            : new ForkOperation(fork.Metadata.Name, "failed", created) { CompletedAt = completed, Error = outcome.Error, Code = (int)outcome.Status };
    }

    private RepositoryFork NewFork(string ns, ForkRepositoryRequest request, string? name) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            GenerateName = name is null ? "fork-" : null,
            NamespaceProperty = ns,
            Labels = new Dictionary<string, string> { [CreatedByLabel] = CreatedBy },
            Annotations = name is null ? null : new Dictionary<string, string> { [Idempotency.RequestHashAnnotation] = Idempotency.RequestHash(request) },
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
            TtlSecondsAfterFinished = options.ForkTtl is { } ttl ? (long)ttl.TotalSeconds : null,
        },
    };

    private void LogRequested(string org, RepositoryFork created, ForkRepositoryRequest request) =>
        logger.LogInformation(
            "Org {Org} requested fork {Namespace}/{Name} of {SourceOrg}/{SourceRepo}:{SourceTag}",
            org, created.Metadata.NamespaceProperty, created.Metadata.Name, request.SourceOrg, request.SourceRepo, request.SourceTag);

    private static string? AnnotationOf(RepositoryFork fork, string name) =>
        fork.Metadata.Annotations is { } annotations && annotations.TryGetValue(name, out var value) ? value : null;

    private static ForkSubmission Refused(HttpStatusCode status, string message) => new(null, new ForkOutcome(status, null, message), Replayed: false);

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    private static partial Regex OperationId();
}
