using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Vers.Api;
using Vers.Api.KubeVirt;
using Vers.Kube;
using Vers.Kube.Client;
using Vers.Kube.Controllers;
using Vers.Kube.Informers;

namespace Vers.Operator.Forks;

/// <summary>The caches the fork pipeline reads; writes always go to the API server.</summary>
public sealed record ForkCaches(
    ResourceInformer<RepositoryFork> Forks,
    ResourceInformer<Repository> Repositories,
    ResourceInformer<Tag> Tags,
    ResourceInformer<Commit> Commits,
    ResourceInformer<GenericObject> Snapshots,
    ResourceInformer<GenericObject> Clones,
    ResourceInformer<GenericObject> DataVolumes,
    ResourceInformer<GenericObject> VirtualMachines);

/// <summary>
/// What every fork step uses: the client, the caches with read-your-writes over them, the budgets, the clock, and the
/// two helpers every write goes through — <see cref="CreateOrAdoptAsync{T}"/> and <see cref="Refused"/> — so that a
/// write the API server refuses fails the fork the same way wherever it happens.
/// </summary>
public sealed class ForkServices
{
    public ForkServices(IKubernetes kubernetes, ForkCaches caches, ForkOptions options, TimeProvider time)
    {
        Client = new KubeRestClient(kubernetes, KubeJson.ReadWithoutManagedFields);
        Caches = caches;
        Options = options;
        Time = time;
        Vms = new ReadYourWrites<GenericObject>(caches.VirtualMachines, time);
        Clones = new ReadYourWrites<GenericObject>(caches.Clones, time);
        Commits = new ReadYourWrites<Commit>(caches.Commits, time);
        Repositories = new ReadYourWrites<Repository>(caches.Repositories, time);
        Tags = new ReadYourWrites<Tag>(caches.Tags, time);
        Snapshots = new ReadYourWrites<GenericObject>(caches.Snapshots, time);
    }

    public KubeRestClient Client { get; }

    public ForkCaches Caches { get; }

    public ForkOptions Options { get; }

    public TimeProvider Time { get; }

    // The children a fork writes, read through its own writes: the next pass, woken by another child's event, finds
    // what it created and what it patched (a VM set to run, a Commit marked ready) even while their caches lag.
    public ReadYourWrites<GenericObject> Vms { get; }

    public ReadYourWrites<GenericObject> Clones { get; }

    public ReadYourWrites<Commit> Commits { get; }

    public ReadYourWrites<Repository> Repositories { get; }

    public ReadYourWrites<Tag> Tags { get; }

    public ReadYourWrites<GenericObject> Snapshots { get; }

    public DateTime Now() => Time.GetUtcNow().UtcDateTime;

    /// <summary>
    /// Creates <paramref name="desired"/>; when it exists already (an earlier pass, a crash between create and the
    /// next status write, a cache that lags) reads it back and adopts it if it carries this fork's label. An object of
    /// that name that is not the fork's own, or a create the API server refuses, fails the fork.
    /// </summary>
    public async Task<T> CreateOrAdoptAsync<T>(ResourceType type, T desired, ForkContext fork, CancellationToken ct)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var existing = await CreateOrGetAsync(type, desired, ct);
        if (!ReferenceEquals(existing, desired) && !fork.Owns(existing))
        {
            throw new ForkFailedException(
                ForkReasons.Rejected,
                $"{ForkContext.Describe(type.Kind, desired.Metadata.NamespaceProperty, desired.Metadata.Name)} exists and was not created by this fork");
        }

        return existing;
    }

    /// <summary>Creates <paramref name="desired"/>, or reads the object of that name when it exists; a refused create fails the fork.</summary>
    public async Task<T> CreateOrGetAsync<T>(ResourceType type, T desired, CancellationToken ct)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var ns = desired.Metadata.NamespaceProperty;
        var name = desired.Metadata.Name;
        try
        {
            var created = await Client.CreateAsync(type, ns, desired, ct, ForkOptions.FieldManager);
            return created;
        }
        catch (KubeApiException e) when (e.IsAlreadyExists)
        {
            return await Client.GetAsync<T>(type, ns, name, ct);
        }
        catch (KubeApiException e) when (Refused(e))
        {
            throw RefusedWrite("creating", type, ns, name, e);
        }
    }

    /// <summary>A patch the fork needs; refused → the fork fails.</summary>
    public async Task<T> PatchOrFailAsync<T>(ResourceType type, string ns, string name, string patch, CancellationToken ct)
    {
        try
        {
            return await Client.PatchAsync<T>(type, ns, name, patch, ct);
        }
        catch (KubeApiException e) when (Refused(e))
        {
            throw RefusedWrite("patching", type, ns, name, e);
        }
    }

    /// <summary>
    /// Whether an API error is the server's (or a webhook's) final word on this write: retrying the same request gets
    /// the same answer. Conflicts, throttling, timeouts and 5xx are retried with backoff; credentials that stopped
    /// working (401) too, since they get rotated.
    /// </summary>
    public static bool Refused(KubeApiException e) => e.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Forbidden
        or HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed or HttpStatusCode.NotAcceptable or HttpStatusCode.RequestEntityTooLarge
        or HttpStatusCode.UnsupportedMediaType or HttpStatusCode.UnprocessableEntity;

    private static ForkFailedException RefusedWrite(string verb, ResourceType type, string? ns, string name, KubeApiException e) =>
        new(ForkReasons.Rejected, $"{verb} {ForkContext.Describe(type.Kind, ns, name)} was refused ({(int)e.StatusCode} {e.Reason ?? e.StatusCode.ToString()}): {e.Status?.Message ?? e.Message}");

    /// <summary>
    /// Waiting for something that must happen within <paramref name="budget"/> of the fork's start: the requeue for the
    /// moment the budget runs out (watch events wake the fork long before, this is not polling), or the fork fails with
    /// Timeout once it has.
    /// </summary>
    public ReconcileResult Deadline(ForkContext fork, TimeSpan budget, string what)
    {
        var start = fork.Status.StartTime is { } t ? DateTime.SpecifyKind(t, DateTimeKind.Utc) : Now();
        var remaining = start + budget - Now();
        if (remaining <= TimeSpan.Zero)
        {
            throw new ForkFailedException(ForkReasons.Timeout, $"{what} within {budget} of the fork's start");
        }

        return ReconcileResult.After(remaining + TimeSpan.FromMilliseconds(50));
    }

    /// <summary>Deletes an object the fork created; gone already is fine. Other errors are retried by the rollback.</summary>
    public Task DeleteAsync(ResourceType type, string ns, string name, CancellationToken ct, string? uid = null) =>
        Client.DeleteAsync(type, ns, name, ct, uidPrecondition: uid);

    /// <summary>
    /// The source commit's VirtualMachineSnapshotContent, read once per pass: the VM copy and the volume backups a
    /// cross-organisation fork builds from. Gone (the commit deleted meanwhile) fails the fork.
    /// </summary>
    public async Task<JsonObject> SourceContentAsync(ForkContext fork, CancellationToken ct)
    {
        if (fork.SourceContent is { } known)
        {
            return known;
        }

        var snapshot = await SourceGuard.RequireAsync(this, fork, ct);
        var contentName = (string?)snapshot.Status?["virtualMachineSnapshotContentName"];
        var content = contentName is null
            ? null
            : await Client.TryGetAsync<GenericObject>(KubeVirtTypes.VirtualMachineSnapshotContent, fork.SourceNamespace, contentName, ct);
        if (content?.Spec is not { } spec || spec["source"]?["virtualMachine"] is not JsonObject)
        {
            throw new ForkFailedException(
                ForkReasons.SourceLost,
                $"the content of source {ForkContext.Describe("VirtualMachineSnapshot", fork.SourceNamespace, fork.Source.Snapshot!)} is gone");
        }

        fork.SourceContent = spec;
        return spec;
    }
}
