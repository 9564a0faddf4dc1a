using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Vers.LocalCluster.Api.Http;
using Vers.LocalCluster.Api.Resources;
using Vers.LocalCluster.Api.Schema;
using Vers.LocalCluster.Api.Watch;

namespace Vers.LocalCluster.Api.Storage;

/// <summary>How an update request treats the object it is given.</summary>
internal sealed record UpdateOptions(bool StatusSubresource = false, bool RequireResourceVersion = false, bool CreateIfMissing = false, bool DryRun = false, bool NamespaceFinalize = false, FieldValidation Validation = FieldValidation.Warn,
    Action<JsonObject?, JsonObject>? TrackFields = null);

internal sealed record DeleteOptions(string? PreconditionUid = null, string? PreconditionResourceVersion = null, string? PropagationPolicy = null, bool DryRun = false);

/// <summary>Result of a write: the stored object and whether it was created (201) or removed.</summary>
internal sealed record WriteResult(JsonObject Object, bool Created = false, bool Removed = false)
{
    /// <summary>Warning texts for the response's <c>Warning: 299</c> headers (unknown fields with fieldValidation=Warn).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>
/// The apiserver's registry layer: strategies (server-owned fields, status separation, generation, finalizers) over a
/// raw <see cref="IObjectStore"/>, one cluster-wide lock so revisions are assigned and watch events fanned out in order.
/// All objects are stored in the storage version of their resource; the HTTP layer rewrites apiVersion.
/// </summary>
internal sealed partial class ResourceStore
{
    private const string GenerateNameAlphabet = "bcdfghjklmnpqrstvwxz2456789";
    private readonly Lock _gate = new();
    private readonly IObjectStore _objects;
    private readonly WatchHub _hub;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public ResourceStore(IObjectStore objects, ResourceRegistry registry, TimeProvider time, ILogger logger, int historyLimit)
    {
        _objects = objects;
        Registry = registry;
        _time = time;
        _logger = logger;
        _hub = new WatchHub(historyLimit, objects.Revision);

        // A reopened store serves the CRDs it holds, as the real server does after a restart.
        foreach (var crd in objects.List(registry.Crds.StorageKey, null))
        {
            registry.Register(ResourceRegistry.FromCrd(crd));
        }
    }

    public ResourceRegistry Registry { get; }

    /// <summary>Raised (outside the lock) after every write; the lifecycle controller listens to it.</summary>
    public event Action? Changed;

    public long Revision
    {
        get
        {
            lock (_gate)
            {
                return _objects.Revision;
            }
        }
    }

    private string Now => Meta.Timestamp(_time.GetUtcNow());

    public void SeedNamespaces(params string[] names)
    {
        foreach (var n in names.Where(n => Get(Registry.Namespaces, "", n) is null))
        {
            Create(Registry.Namespaces, "", new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = n } });
        }
    }

    public JsonObject? Get(ResourceType type, string ns, string name)
    {
        lock (_gate)
        {
            return _objects.Get(type.StorageKey, ns, name)?.DeepClone().AsObject();
        }
    }

    public (List<JsonObject> Items, long Revision) List(ResourceType type, string? ns, Func<JsonObject, bool> filter)
    {
        lock (_gate)
        {
            var items = _objects.List(type.StorageKey, ns).Where(filter).Select(o => o.DeepClone().AsObject()).ToList();
            return (items, _objects.Revision);
        }
    }

    /// <summary>Every stored object of every bucket (for the lifecycle controller).</summary>
    public List<(string Bucket, JsonObject Object)> Snapshot()
    {
        lock (_gate)
        {
            return [.. _objects.Buckets.ToList().SelectMany(b => _objects.List(b, null).Select(o => (b, o.DeepClone().AsObject())))];
        }
    }

    public WriteResult Create(ResourceType type, string ns, JsonObject body, bool dryRun = false, FieldValidation validation = FieldValidation.Warn, Action<JsonObject?, JsonObject>? trackFields = null)
    {
        WriteResult result;
        lock (_gate)
        {
            result = CreateLocked(type, ns, body, dryRun, validation, trackFields);
        }

        OnChanged();
        return result;
    }

    private WriteResult CreateLocked(ResourceType type, string ns, JsonObject body, bool dryRun, FieldValidation validation, Action<JsonObject?, JsonObject>? trackFields = null)
    {
        var obj = body.DeepClone().AsObject();
        Meta.DropNulls(obj);
        var warnings = PruneAndDefault(type, obj, validation);
        var meta = Meta.Of(obj);
        var name = Meta.Name(obj);
        if (name.Length == 0)
        {
            var generateName = Meta.Str(obj, "generateName");
            if (string.IsNullOrEmpty(generateName))
            {
                throw ApiException.Invalid(type.Kind, type.Group, "", [new FieldError("FieldValueRequired", "metadata.name", "name or generateName is required")]);
            }

            do
            {
                name = generateName + new string([.. Enumerable.Range(0, 5).Select(_ => GenerateNameAlphabet[Random.Shared.Next(GenerateNameAlphabet.Length)])]);
            }
            while (_objects.Get(type.StorageKey, ns, name) is not null);
            meta["name"] = name;
        }

        ValidateName(type, name);
        if (type.Namespaced)
        {
            var nsObj = _objects.Get(Registry.Namespaces.StorageKey, "", ns) ?? throw ApiException.NamespaceNotFound(ns);
            if (Meta.IsTerminating(nsObj))
            {
                throw ApiException.Forbidden(type.Name, name, $"{type.Name.Qualified} \"{name}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated");
            }

            meta["namespace"] = ns;
        }
        else
        {
            meta.Remove("namespace");
        }

        if (_objects.Get(type.StorageKey, ns, name) is not null)
        {
            throw ApiException.AlreadyExists(type.Name, name);
        }

        obj["apiVersion"] = type.StorageApiVersion;
        obj["kind"] = type.Kind;
        meta["uid"] = Guid.NewGuid().ToString();
        meta["creationTimestamp"] = Now;
        foreach (var f in (string[])["deletionTimestamp", "deletionGracePeriodSeconds", "resourceVersion", "generation", "selfLink"])
        {
            meta.Remove(f);
        }

        if (type.TracksGeneration)
        {
            meta["generation"] = 1;
        }

        if (type.Version(type.StorageVersion)!.HasStatus)
        {
            // Strategies of resources with a status subresource reset status on create (Namespace and CRD fill theirs below).
            obj.Remove("status");
        }

        switch (type.Builtin)
        {
            case BuiltinKind.Namespace:
                obj["spec"] = new JsonObject { ["finalizers"] = new JsonArray("kubernetes") };
                obj["status"] = new JsonObject { ["phase"] = "Active" };
                (meta["labels"] as JsonObject ?? EnsureLabels(meta))["kubernetes.io/metadata.name"] = name;
                break;
            case BuiltinKind.Secret:
                obj["type"] ??= "Opaque";
                break;
            case BuiltinKind.Service:
                ServiceStrategy.PrepareForCreate(obj, _objects.List(type.StorageKey, null));
                break;
            case BuiltinKind.CustomResourceDefinition:
                CrdStrategy.Validate(obj);
                CrdStrategy.FillStatus(obj, null, Now);
                break;
        }

        ValidateCustom(type, obj, null, statusOnly: false);
        trackFields?.Invoke(null, obj);
        if (dryRun)
        {
            return new WriteResult(obj, Created: true) { Warnings = warnings };
        }

        var rv = _objects.NextRevision();
        meta["resourceVersion"] = rv.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _objects.Put(type.StorageKey, ns, name, obj);
        _hub.Publish(new WatchEvent(rv, type.StorageKey, "ADDED", obj, null));
        if (type.Builtin == BuiltinKind.CustomResourceDefinition)
        {
            Registry.Register(ResourceRegistry.FromCrd(obj));
            LogCrdEstablished(Meta.Name(obj));
        }

        return new WriteResult(obj.DeepClone().AsObject(), Created: true) { Warnings = warnings };
    }

    /// <summary>
    /// Decoding of a custom resource body: prune unknown fields (400 under fieldValidation=Strict, warnings under
    /// Warn) and apply schema defaults. Built-ins are stored as data and skip this.
    /// </summary>
    private static List<string> PruneAndDefault(ResourceType type, JsonObject obj, FieldValidation validation)
    {
        if (!type.IsCustom || type.StorageSchema is not { } schema)
        {
            return [];
        }

        var unknown = new List<string>();
        StructuralSchema.PruneRoot(obj, schema, unknown);
        if (unknown.Count > 0 && validation == FieldValidation.Strict)
        {
            throw ApiException.BadRequest($"{type.Kind} in version \"{type.StorageVersion}\" cannot be handled as a {type.Kind}: strict decoding error: "
                                          + string.Join(", ", unknown.Select(u => $"unknown field \"{u}\"")));
        }

        StructuralSchema.Default(obj, schema);
        return validation == FieldValidation.Warn ? [.. unknown.Select(u => $"unknown field \"{u}\"")] : [];
    }

    /// <summary>
    /// Schema validation of a custom resource write; every violation is collected into one 422. Main-resource writes
    /// validate everything but a subresource-owned status, and the <c>self == oldSelf</c> rules against the old object;
    /// status writes validate only status.
    /// </summary>
    private static void ValidateCustom(ResourceType type, JsonObject obj, JsonObject? old, bool statusOnly)
    {
        if (!type.IsCustom || type.StorageSchema is not { } schema)
        {
            return;
        }

        var errors = new List<FieldError>();
        if (statusOnly)
        {
            if (schema["properties"]?["status"] is JsonObject statusSchema && obj["status"] is { } status)
            {
                StructuralSchema.Validate(status, statusSchema, "status", errors);
            }
        }
        else
        {
            var subject = obj;
            var previous = old;
            if (type.Version(type.StorageVersion)?.HasStatus == true)
            {
                subject = WithoutStatus(obj);
                previous = old is null ? null : WithoutStatus(old);
            }

            StructuralSchema.Validate(subject, schema, "", errors);
            StructuralSchema.ValidateTransitions(subject, previous, schema, "", errors);
        }

        if (errors.Count > 0)
        {
            throw ApiException.Invalid(type.Kind, type.Group, Meta.Name(obj), errors);
        }
    }

    private static JsonObject WithoutStatus(JsonObject obj)
    {
        var copy = new JsonObject();
        foreach (var (key, value) in obj)
        {
            if (key != "status")
            {
                copy[key] = value?.DeepClone();
            }
        }

        return copy;
    }

    /// <summary>Defaults applied on read, so objects stored before a CRD gained a default show it (KEP-575).</summary>
    public static JsonObject DefaultOnRead(ResourceType type, JsonObject obj)
    {
        if (type.IsCustom && type.StorageSchema is { } schema && type.StorageSchemaHasDefaults)
        {
            StructuralSchema.Default(obj, schema);
        }

        return obj;
    }

    private static JsonObject EnsureLabels(JsonObject meta)
    {
        var labels = new JsonObject();
        meta["labels"] = labels;
        return labels;
    }

    private static void ValidateName(ResourceType type, string name)
    {
        if (name.Length > 253 || !NamePattern().IsMatch(name) || (type.Builtin == BuiltinKind.Namespace && (name.Length > 63 || name.Contains('.'))))
        {
            var what = type.Builtin == BuiltinKind.Namespace
                ? "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
                : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
            throw ApiException.Invalid(type.Kind, type.Group, name, [new FieldError("FieldValueInvalid", "metadata.name", what, $"\"{name}\"")]);
        }
    }

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex NamePattern();

    /// <summary>
    /// Read-modify-write of one object. <paramref name="mutate"/> receives a private copy of the current object
    /// (null when missing and <see cref="UpdateOptions.CreateIfMissing"/>) and returns the desired object.
    /// </summary>
    public WriteResult Update(ResourceType type, string ns, string name, Func<JsonObject?, JsonObject> mutate, UpdateOptions options)
    {
        WriteResult result;
        lock (_gate)
        {
            var current = _objects.Get(type.StorageKey, ns, name);
            if (current is null)
            {
                if (!options.CreateIfMissing)
                {
                    throw ApiException.NotFound(type.Name, name);
                }

                var body = mutate(null);
                result = CreateLocked(type, ns, body, options.DryRun, options.Validation, options.TrackFields);
            }
            else
            {
                // Patches apply to the object as a reader sees it, defaults included.
                result = UpdateLocked(type, current, mutate(DefaultOnRead(type, current.DeepClone().AsObject())), options);
            }
        }

        OnChanged();
        return result;
    }

    private WriteResult UpdateLocked(ResourceType type, JsonObject stored, JsonObject desired, UpdateOptions options)
    {
        var current = stored;
        var name = Meta.Name(current);
        var ns = Meta.Namespace(current);
        Meta.DropNulls(desired);
        var warnings = PruneAndDefault(type, desired, options.Validation);

        // The old object as the real server sees it: read from storage, so defaulted.
        current = DefaultOnRead(type, current.DeepClone().AsObject());
        var bodyName = Meta.Str(desired, "name");
        if (!string.IsNullOrEmpty(bodyName) && bodyName != name)
        {
            throw ApiException.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
        }

        var rv = Meta.Str(desired, "resourceVersion");
        if (string.IsNullOrEmpty(rv))
        {
            if (options.RequireResourceVersion && !type.AllowsUnconditionalUpdate)
            {
                throw ApiException.Invalid(type.Kind, type.Group, name, [new FieldError("FieldValueInvalid", "metadata.resourceVersion", "must be specified for an update", "0x0")]);
            }
        }
        else if (rv != Meta.ResourceVersion(current))
        {
            throw ApiException.Conflict(type.Name, name);
        }

        var hasStatus = type.Version(type.StorageVersion)?.HasStatus == true;
        JsonObject updated;
        if (options.StatusSubresource)
        {
            // Status writes change only status; everything else is the stored object.
            updated = current.DeepClone().AsObject();
            updated.Remove("status");
            if (desired["status"] is { } st)
            {
                updated["status"] = st.DeepClone();
            }
        }
        else
        {
            updated = desired;
            updated["apiVersion"] = current["apiVersion"]!.DeepClone();
            updated["kind"] = current["kind"]!.DeepClone();
            if (hasStatus)
            {
                updated.Remove("status");
                if (current["status"] is { } st)
                {
                    updated["status"] = st.DeepClone();
                }
            }

            if (type.Builtin == BuiltinKind.Service)
            {
                ServiceStrategy.KeepAllocated(updated, current);
            }

            if (type.Builtin == BuiltinKind.Namespace && !options.NamespaceFinalize)
            {
                // spec.finalizers is only changed through /finalize; keep it as stored.
                updated["spec"] = current["spec"]?.DeepClone();
            }

            var meta = Meta.Of(updated);
            var curMeta = Meta.Of(current);
            foreach (var f in (string[])["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "namespace", "name"])
            {
                meta.Remove(f);
                if (curMeta[f] is { } v)
                {
                    meta[f] = v.DeepClone();
                }
            }

            if (Meta.IsTerminating(current))
            {
                var added = Meta.Finalizers(updated).Except(Meta.Finalizers(current)).ToList();
                if (added.Count > 0)
                {
                    throw ApiException.Invalid(type.Kind, type.Group, name, [new FieldError("FieldValueForbidden", "metadata.finalizers",
                        $"no new finalizers can be added if the object is being deleted, found new finalizers []string{{{string.Join(", ", added.Select(a => $"\"{a}\""))}}}")]);
                }
            }
        }

        Meta.Of(updated)["resourceVersion"] = Meta.ResourceVersion(current);
        if (type.Builtin == BuiltinKind.CustomResourceDefinition)
        {
            CrdStrategy.Validate(updated);
            CrdStrategy.FillStatus(updated, current["status"] as JsonObject, Now);
        }

        ValidateCustom(type, updated, current, options.StatusSubresource);
        options.TrackFields?.Invoke(current, updated);
        if (type.TracksGeneration && !options.StatusSubresource)
        {
            if (!JsonNode.DeepEquals(WithoutMetadata(current, hasStatus), WithoutMetadata(updated, hasStatus)))
            {
                Meta.Of(updated)["generation"] = Meta.Generation(current) + 1;
            }
        }

        if (JsonNode.DeepEquals(stored, updated))
        {
            return new WriteResult(current.DeepClone().AsObject()) { Warnings = warnings };
        }

        if (options.DryRun)
        {
            return new WriteResult(updated) { Warnings = warnings };
        }

        if (Meta.IsTerminating(updated) && !HasPendingFinalizers(type, updated))
        {
            return RemoveLocked(type, stored) with { Warnings = warnings };
        }

        var next = _objects.NextRevision();
        Meta.Of(updated)["resourceVersion"] = next.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _objects.Put(type.StorageKey, ns, name, updated);
        _hub.Publish(new WatchEvent(next, type.StorageKey, "MODIFIED", updated, stored));
        if (type.Builtin == BuiltinKind.CustomResourceDefinition)
        {
            Registry.Register(ResourceRegistry.FromCrd(updated));
        }

        return new WriteResult(updated.DeepClone().AsObject()) { Warnings = warnings };
    }

    private static JsonObject WithoutMetadata(JsonObject obj, bool withoutStatus)
    {
        var copy = obj.DeepClone().AsObject();
        copy.Remove("metadata");
        if (withoutStatus)
        {
            copy.Remove("status");
        }

        return copy;
    }

    private static bool HasPendingFinalizers(ResourceType type, JsonObject obj) =>
        Meta.Finalizers(obj).Count > 0
        || (type.Builtin == BuiltinKind.Namespace && obj["spec"]?["finalizers"] is JsonArray { Count: > 0 });

    /// <summary>Removes a stored object: the DELETED event carries its last state with the deletion revision.</summary>
    private WriteResult RemoveLocked(ResourceType type, JsonObject current)
    {
        var next = _objects.NextRevision();
        var last = current.DeepClone().AsObject();
        Meta.Of(last)["resourceVersion"] = next.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _objects.Remove(type.StorageKey, Meta.Namespace(current), Meta.Name(current));
        _hub.Publish(new WatchEvent(next, type.StorageKey, "DELETED", last, current));
        if (type.Builtin == BuiltinKind.CustomResourceDefinition)
        {
            var served = ResourceRegistry.FromCrd(current);
            Registry.Unregister(served.StorageKey);

            // Instances still left (the cleanup finalizer was removed by hand) go with their definition.
            foreach (var orphan in _objects.List(served.StorageKey, null).ToList())
            {
                RemoveLocked(served, orphan);
            }

            LogCrdRemoved(Meta.Name(current));
        }

        return new WriteResult(last.DeepClone().AsObject(), Removed: true);
    }

    public WriteResult Delete(ResourceType type, string ns, string name, DeleteOptions options)
    {
        WriteResult result;
        lock (_gate)
        {
            var current = _objects.Get(type.StorageKey, ns, name) ?? throw ApiException.NotFound(type.Name, name);
            if (options.PreconditionUid is { } uid && uid != Meta.Uid(current))
            {
                throw ApiException.Conflict(type.Name, name, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {Meta.Uid(current)}");
            }

            if (options.PreconditionResourceVersion is { } prv && prv != Meta.ResourceVersion(current))
            {
                throw ApiException.Conflict(type.Name, name, $"Precondition failed: ResourceVersion in precondition: {prv}, ResourceVersion in object meta: {Meta.ResourceVersion(current)}");
            }

            var updated = current.DeepClone().AsObject();
            var finalizers = Meta.Finalizers(updated);
            var policyFinalizer = options.PropagationPolicy switch
            {
                "Foreground" => "foregroundDeletion",
                "Orphan" => "orphan",
                _ => null,
            };
            if (policyFinalizer is not null && !finalizers.Contains(policyFinalizer) && !Meta.IsTerminating(current))
            {
                finalizers.Add(policyFinalizer);
                Meta.SetFinalizers(updated, finalizers);
            }

            if (type.Builtin == BuiltinKind.CustomResourceDefinition && !finalizers.Contains(CrdStrategy.CleanupFinalizer))
            {
                finalizers.Add(CrdStrategy.CleanupFinalizer);
                Meta.SetFinalizers(updated, finalizers);
            }

            if (!HasPendingFinalizers(type, updated))
            {
                result = options.DryRun ? new WriteResult(current.DeepClone().AsObject(), Removed: true) : RemoveLocked(type, current);
            }
            else if (Meta.IsTerminating(current) && JsonNode.DeepEquals(current, updated))
            {
                result = new WriteResult(current.DeepClone().AsObject());
            }
            else
            {
                var meta = Meta.Of(updated);
                if (!Meta.IsTerminating(current))
                {
                    meta["deletionTimestamp"] = Now;
                    meta["deletionGracePeriodSeconds"] = 0;
                    if (Meta.Generation(current) > 0)
                    {
                        meta["generation"] = Meta.Generation(current) + 1;
                    }
                }

                if (type.Builtin == BuiltinKind.Namespace)
                {
                    updated["status"] = new JsonObject { ["phase"] = "Terminating" };
                }
                else if (type.Builtin == BuiltinKind.CustomResourceDefinition)
                {
                    CrdStrategy.FillStatus(updated, current["status"] as JsonObject, Now);
                }

                if (options.DryRun)
                {
                    result = new WriteResult(updated);
                }
                else
                {
                    var next = _objects.NextRevision();
                    meta["resourceVersion"] = next.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    _objects.Put(type.StorageKey, ns, name, updated);
                    _hub.Publish(new WatchEvent(next, type.StorageKey, "MODIFIED", updated, current));
                    result = new WriteResult(updated.DeepClone().AsObject());
                }
            }
        }

        OnChanged();
        return result;
    }

    /// <summary>
    /// Starts a watch. With no start revision the current matching state is returned for synthetic ADDED events;
    /// otherwise history after <paramref name="fromRevision"/> is replayed into the subscription.
    /// </summary>
    public (WatchSubscription Subscription, List<JsonObject> Initial) StartWatch(ResourceType type, long? fromRevision)
    {
        lock (_gate)
        {
            if (fromRevision is { } from && from < _hub.CompactedRevision)
            {
                throw ApiException.Gone($"too old resource version: {from} ({_hub.CompactedRevision + 1})");
            }

            var initial = fromRevision is null
                ? _objects.List(type.StorageKey, null).Select(o => o.DeepClone().AsObject()).ToList()
                : [];
            return (_hub.Subscribe(type.StorageKey, fromRevision), initial);
        }
    }

    /// <summary>
    /// Subscribes to every bucket and returns, atomically with it, every stored object. The objects are the stored
    /// instances themselves (storage replaces objects, it never mutates them): callers must not mutate them.
    /// </summary>
    public (WatchSubscription Subscription, List<(string Bucket, JsonObject Object)> Current) WatchAll()
    {
        lock (_gate)
        {
            List<(string, JsonObject)> current = [.. _objects.Buckets.ToList().SelectMany(b => _objects.List(b, null).Select(o => (b, o)))];
            return (_hub.Subscribe(null, null), current);
        }
    }

    public void StopWatch(WatchSubscription subscription)
    {
        lock (_gate)
        {
            _hub.Remove(subscription);
        }

        subscription.Channel.Writer.TryComplete();
    }

    private void OnChanged()
    {
        try
        {
            Changed?.Invoke();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogChangeHandlerFailed(e);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "CRD {Name} established")]
    private partial void LogCrdEstablished(string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "CRD {Name} removed")]
    private partial void LogCrdRemoved(string name);

    [LoggerMessage(Level = LogLevel.Error, Message = "Change handler failed")]
    private partial void LogChangeHandlerFailed(Exception e);
}
