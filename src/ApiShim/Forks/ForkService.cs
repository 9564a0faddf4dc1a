using System.Globalization;
using System.Net;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Vers.ApiShim.Hosting;
using Vers.Api;
using Vers.Operator.Forks;
using Vers.Kube;
using Vers.Kube.Client;
using Vers.Kube.Informers;

namespace Vers.ApiShim.Forks;

/// <summary>
/// The outcome of a fork request: an HTTP status and either the 201 body or an error message; a 429 says when to
/// come back.
/// </summary>
public sealed record ForkOutcome(HttpStatusCode Status, ForkRepositoryResponse? Response, string? Error)
{
    public TimeSpan? RetryAfter { get; init; }
}

/// <summary>A submitted fork (newly created, or the one an idempotent replay refers to), or why none was submitted.</summary>
public sealed record ForkSubmission(RepositoryFork? Fork, ForkOutcome? Refusal, bool Replayed);

/// <summary>
/// Turns a fork request into a RepositoryFork in the caller's org namespace and its finished status into the answer.
/// A request the caches can already answer (no such source, another org's private repository, a taken target name)
/// is answered without creating anything, and an org with too many unfinished forks is told to come back later.
/// </summary>
public sealed class ForkService(
    IKubernetes client,
    OrgDirectory orgs,
    ForkWaiter waiter,
    ForkPreflight preflight,
    ResourceInformer<RepositoryFork> forks,
    ApiShimOptions options,
    ILogger<ForkService> logger)
{
    public const string CreatedByLabel = "vers.sh/created-by";
    public const string CreatedBy = "api-shim";
    public const string OperationsPath = "/api/v1/repositories/forks/";

    /// <summary>How long an org over its cap of unfinished forks is told to wait (Retry-After).</summary>
    public static readonly TimeSpan CapRetryAfter = TimeSpan.FromSeconds(10);

    private readonly KubeRestClient _client = new(client, KubeJson.ReadWithoutManagedFields);

    public static string OperationPath(string id) => OperationsPath + id;

    /// <summary>
    /// Creates the RepositoryFork for <paramref name="request"/>, unless the caches already know its answer. With an
    /// idempotency key the object's name comes from (org, key): a replay finds the first request's fork and gets it
    /// back — before anything else is checked, so a replay of a fork that made the target repository is not told the
    /// repository exists — and a different request under the same key is refused with 422.
    /// </summary>
    public async Task<ForkSubmission> SubmitAsync(string org, ForkRepositoryRequest request, string? idempotencyKey, CancellationToken ct)
    {
        try
        {
            return await SubmitOnceAsync(org, request, idempotencyKey, ct);
        }
        catch (KubeApiException e) when (ErrorBodies.RetryAfter(e) is { } retryAfter)
        {
            // Nothing was created: the API server could not store the fork (its storage failed or it is overloaded).
            logger.LogWarning(
                "Answered the fork of {SourceOrg}/{SourceRepo}:{SourceTag} for org {Org} with 503: the cluster cannot take writes now ({Status} {Reason})",
                request.SourceOrg, request.SourceRepo, request.SourceTag, org, (int)e.StatusCode, e.Reason);
            var (status, message) = ErrorBodies.ForException(e);
            return new ForkSubmission(null, new ForkOutcome((HttpStatusCode)status, null, message) { RetryAfter = retryAfter }, Replayed: false);
        }
    }

    private async Task<ForkSubmission> SubmitOnceAsync(string org, ForkRepositoryRequest request, string? idempotencyKey, CancellationToken ct)
    {
        var ns = orgs.NamespaceOf(org);
        if (ns is null)
        {
            logger.LogWarning("Organisation {Org} has no namespace labelled {Label}", org, VersGroup.OrgLabel);
            return Refused(HttpStatusCode.Forbidden, OrgHasNoNamespace(org));
        }

        var name = idempotencyKey is null ? null : Idempotency.ObjectName(org, idempotencyKey);
        if (name is not null && forks.Get(ns, name) is { } known)
        {
            return Replay(org, known, request);
        }

        var answer = await preflight.CheckAsync(ns, request, ct);
        if (answer is null && options.MaxUnfinishedForksPerOrg is { } cap && Unfinished(ns) >= cap)
        {
            answer = new ForkOutcome(
                HttpStatusCode.TooManyRequests,
                null,
                $"organisation {org} has {cap} forks in progress, the most it may have at once; retry after {CapRetryAfter.TotalSeconds:0} s")
            {
                RetryAfter = CapRetryAfter,
            };
        }

        if (answer is not null)
        {
            // The fork of a replay may exist before this replica's cache has seen it (another replica made it).
            if (name is not null && await _client.TryGetAsync<RepositoryFork>(RepositoryFork.Type, ns, name, ct) is { } existing)
            {
                return Replay(org, existing, request);
            }

            logger.LogInformation(
                "Answered the fork of {SourceOrg}/{SourceRepo}:{SourceTag} for org {Org} with {Status} without creating a fork: {Error}",
                request.SourceOrg, request.SourceRepo, request.SourceTag, org, (int)answer.Status, answer.Error);
            return new ForkSubmission(null, answer, Replayed: false);
        }

        var fork = NewFork(ns, request, name);
        if (name is null)
        {
            var created = await _client.CreateAsync(RepositoryFork.Type, ns, fork, ct, "vers-api-shim");
            LogRequested(org, created, request);
            return new ForkSubmission(created, null, Replayed: false);
        }

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
                if (await _client.TryGetAsync<RepositoryFork>(RepositoryFork.Type, ns, name, ct) is { } existing)
                {
                    return Replay(org, existing, request);
                }
            }
        }

        return Refused(HttpStatusCode.InternalServerError, "the fork for this idempotency key was being deleted; retry the request");
    }

    public static string OrgHasNoNamespace(string org) =>
        $"organisation {org} of this API key does not exist on this cluster: no namespace is labelled {VersGroup.OrgLabel}={org}";

    private ForkSubmission Replay(string org, RepositoryFork existing, ForkRepositoryRequest request)
    {
        if (!Idempotency.Matches(AnnotationOf(existing, Idempotency.RequestHashAnnotation), request))
        {
            logger.LogInformation(
                "Org {Org} reused the idempotency key of fork {Namespace}/{Name} with a different request", org, existing.Metadata.NamespaceProperty, existing.Metadata.Name);
            return Refused(
                HttpStatusCode.UnprocessableEntity,
                $"{Idempotency.Header} was already used with a different request body; use a new key for a new request");
        }

        logger.LogInformation("Org {Org} replayed the request of fork {Namespace}/{Name}", org, existing.Metadata.NamespaceProperty, existing.Metadata.Name);
        return new ForkSubmission(existing, null, Replayed: true);
    }

    /// <summary>The org's forks made through this API that have not finished, from the informer's cache.</summary>
    private int Unfinished(string ns) => forks.List(ns).Count(f => !ForkWaiter.IsFinished(f) && f.Metadata.DeletionTimestamp is null);

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
                $"the fork is still running after {timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s and carries on; poll {OperationPath(fork.Metadata.Name)} for its outcome"
                + (fork.Metadata.Name.StartsWith(Idempotency.NamePrefix, StringComparison.Ordinal) ? ", or send the request again with the same idempotency key to wait for it" : ""))
            : ToOutcome(finished);
    }

    /// <summary>
    /// The fork operation <paramref name="id"/> of <paramref name="org"/>, from the informer's cache (an API
    /// read only when the cache has not seen it yet). Other orgs' operations are not found, like missing ones.
    /// </summary>
    public async Task<RepositoryFork?> FindOperationAsync(string org, string id, CancellationToken ct)
    {
        if (!KubernetesNames.IsDnsLabel(id) || orgs.NamespaceOf(org) is not { } ns)
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

    private RepositoryFork NewFork(string ns, ForkRepositoryRequest request, string? name)
    {
        var annotations = new Dictionary<string, string>();
        if (name is not null)
        {
            annotations[Idempotency.RequestHashAnnotation] = Idempotency.RequestHash(request);
        }

        return new RepositoryFork
        {
            Metadata = new V1ObjectMeta
            {
                Name = name,
                GenerateName = name is null ? "fork-" : null,
                NamespaceProperty = ns,
                Labels = new Dictionary<string, string> { [CreatedByLabel] = CreatedBy },
                Annotations = annotations.Count == 0 ? null : annotations,
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
                TtlSecondsAfterFinished = options.ForkTtl is { } forkTtl ? (long)forkTtl.TotalSeconds : null,
                TtlSecondsAfterFailure = FailedTtlSeconds(),
            },
        };
    }

    /// <summary>spec.ttlSecondsAfterFailure: the failed-fork TTL when it is shorter than the one every outcome gets.</summary>
    private long? FailedTtlSeconds() =>
        options.FailedForkTtl is { } failed && (options.ForkTtl is not { } ttl || failed < ttl) ? (long)failed.TotalSeconds : null;

    private void LogRequested(string org, RepositoryFork created, ForkRepositoryRequest request) =>
        logger.LogInformation(
            "Org {Org} requested fork {Namespace}/{Name} of {SourceOrg}/{SourceRepo}:{SourceTag}",
            org, created.Metadata.NamespaceProperty, created.Metadata.Name, request.SourceOrg, request.SourceRepo, request.SourceTag);

    private static string? AnnotationOf(RepositoryFork fork, string name) =>
        fork.Metadata.Annotations is { } annotations && annotations.TryGetValue(name, out var value) ? value : null;

    private static ForkSubmission Refused(HttpStatusCode status, string message) => new(null, new ForkOutcome(status, null, message), Replayed: false);
}
