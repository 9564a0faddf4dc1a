using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Registry;
using Vers.LocalCluster.ApiServer.Resources;
using Vers.LocalCluster.ApiServer.Schema;
using Vers.LocalCluster.ApiServer.Watch;

namespace Vers.LocalCluster.ApiServer.Storage;

/// <summary>How an update request treats the object it is given.</summary>
internal sealed record UpdateOptions(string? Subresource = null, bool RequireResourceVersion = false, bool CreateIfMissing = false, bool DryRun = false,
    FieldValidation Validation = FieldValidation.Warn, Action<JsonObject?, JsonObject>? TrackFields = null)
{
    public bool StatusSubresource => Subresource == "status";
}

internal sealed record DeleteOptions(string? PreconditionUid = null, string? PreconditionResourceVersion = null, string? PropagationPolicy = null, bool DryRun = false);

/// <summary>Result of a write: the stored object and whether it was created (201) or removed.</summary>
internal sealed record WriteResult(StoredObject Object, bool Created = false, bool Removed = false)
{
    /// <summary>Warning texts for the response's <c>Warning: 299</c> headers (unknown fields with fieldValidation=Warn).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>
/// The apiserver's generic registry store (staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go):
/// what every kind shares (server-owned metadata, status separation, generation, finalizers and graceful deletion,
/// optimistic concurrency) over the objects it serves from memory (<see cref="InMemoryObjectStore"/>) and, with a data
/// directory, a durable <see cref="IStorageBackend"/>; what differs per kind is its <see cref="ResourceStrategy"/>.
/// One writer lock assigns revisions and commits in order; readers take only the view lock (ResourceStore.Commit.cs).
/// All objects are stored in the storage version of their resource; the HTTP layer rewrites apiVersion.
/// Writes are optimistic, like GuaranteedUpdate: decoding, strategies, validation, field tracking and serialization
/// run outside the lock on a snapshot; the lock only checks that the snapshot is still the stored object (else the
/// write is redone on the new one) and commits.
/// </summary>
internal sealed partial class ResourceStore : IObjectLister, IRegistryHooks
{
    private readonly Lock _gate = new();
    private readonly InMemoryObjectStore _objects = new();
    private readonly WatchHub _hub;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>A store over <paramref name="backend"/>'s objects (loaded now), or in memory only when it is null.</summary>
    public ResourceStore(IStorageBackend? backend, ResourceRegistry registry, TimeProvider time, ILogger logger, int historyLimit)
    {
        _backend = backend;
        backend?.LoadInto(_objects);
        Registry = registry;
        _time = time;
        _logger = logger;
        _hub = new WatchHub(historyLimit, _objects.Revision);
        PackLoaded();

        // A reopened store serves what it holds as it did before a restart (the CRDs' resources).
        foreach (var type in registry.Builtins.Where(t => t.Strategy.HooksStorage))
        {
            foreach (var stored in _objects.List(type.StorageKey, null))
            {
                type.Strategy.OnStored(this, stored);
            }
        }
    }

    public ResourceRegistry Registry { get; }

    ILogger IRegistryHooks.Logger => _logger;

    /// <summary>Raised (outside the lock) after every write; the lifecycle controller listens to it.</summary>
    public event Action? Changed;

    public long Revision
    {
        get
        {
            lock (_view)
            {
                return _objects.Revision;
            }
        }
    }

    private string Now => Meta.Timestamp(_time.GetUtcNow());

    private StrategyContext Context(ResourceType type, string? subresource = null) => new(type, _time, this, subresource);

    /// <summary>The stored object (shared and immutable: parse it to change it).</summary>
    public StoredObject? Get(ResourceType type, string ns, string name)
    {
        lock (_view)
        {
            return _objects.Get(type.StorageKey, ns, name);
        }
    }

    /// <summary>Every stored object of a resource, as private trees (for strategies and in-tree admission).</summary>
    IReadOnlyList<JsonObject> IObjectLister.List(ResourceType type)
    {
        List<StoredObject> all;
        lock (_view)
        {
            all = [.. _objects.List(type.StorageKey, null)];
        }

        return [.. all.Select(o => o.ToJsonObject())];
    }

    /// <summary>The resource that owns the storage of <paramref name="type"/>, whose identity admission reports (events.k8s.io events are core events).</summary>
    private ResourceType Identity(ResourceType type) => Registry.FindByStorageKey(type.StorageKey) ?? type;

    private void CheckNamespaceLocked(ResourceType type, string ns, string name)
    {
        var nsObj = _objects.Get(Registry.Namespaces.StorageKey, "", ns) ?? throw ApiException.NamespaceNotFound(ns);
        if (nsObj.Terminating)
        {
            throw ApiException.Forbidden(type.Name, name, $"{type.Name.Qualified} \"{name}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated");
        }
    }

    /// <summary>Throws the 422 of a failed validation: every error of the object at once.</summary>
    private static void ThrowIfInvalid(ResourceType type, string name, IEnumerable<FieldError> errors)
    {
        var list = errors as IReadOnlyList<FieldError> ?? [.. errors];
        if (list.Count > 0)
        {
            throw ApiException.Invalid(type.Kind, type.Group, name, list);
        }
    }

    /// <summary>Whether reading the object must apply defaults (KEP-575): it was not written with the current schema.</summary>
    public static bool NeedsReadDefaults(ResourceType type, StoredObject stored) => type.Strategy.NeedsReadDefaults(type, stored);

    /// <summary>A private tree of a stored object as a reader sees it: defaults applied (KEP-575).</summary>
    public static JsonObject Read(ResourceType type, StoredObject stored)
    {
        var obj = stored.ToJsonObject();
        return NeedsReadDefaults(type, stored) ? DefaultOnRead(type, obj) : obj;
    }

    /// <summary>Defaults applied on read, so objects stored before a schema gained a default show it (KEP-575).</summary>
    public static JsonObject DefaultOnRead(ResourceType type, JsonObject obj)
    {
        type.Strategy.DefaultOnRead(type, obj);
        return obj;
    }

    private void OnChanged()
    {
        PackCold();
        try
        {
            Changed?.Invoke();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogChangeHandlerFailed(e);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Change handler failed")]
    private partial void LogChangeHandlerFailed(Exception e);
}
