using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Vers.LocalCluster.Api.Admission;
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
internal sealed record WriteResult(StoredObject Object, bool Created = false, bool Removed = false)
{
    /// <summary>Warning texts for the response's <c>Warning: 299</c> headers (unknown fields with fieldValidation=Warn).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>
/// The apiserver's registry layer: strategies (server-owned fields, status separation, generation, finalizers) over a
/// raw <see cref="IObjectStore"/>, one cluster-wide lock so revisions are assigned and watch events fanned out in order.
/// All objects are stored in the storage version of their resource; the HTTP layer rewrites apiVersion.
/// Writes are optimistic, like the real registry's GuaranteedUpdate: decoding, strategies, validation, field tracking
/// and serialization run outside the lock on a snapshot; the lock only checks that the snapshot is still the stored
/// object (else the write is redone on the new one) and commits.
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
            registry.Register(ResourceRegistry.FromCrd(crd.ToJsonObject()));
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

    /// <summary>The stored object (shared and immutable: parse it to change it).</summary>
    public StoredObject? Get(ResourceType type, string ns, string name)
    {
        lock (_gate)
        {
            return _objects.Get(type.StorageKey, ns, name);
        }
    }

    /// <summary>The objects of a bucket (ordered by namespace, name) and the revision of the list; the filter runs outside the lock.</summary>
    public (List<StoredObject> Items, long Revision) List(ResourceType type, string? ns, Func<StoredObject, bool> filter)
    {
        List<StoredObject> all;
        long revision;
        lock (_gate)
        {
            all = [.. _objects.List(type.StorageKey, ns)];
            revision = _objects.Revision;
        }

        all.RemoveAll(o => !filter(o));
        return (all, revision);
    }

    public WriteResult Create(ResourceType type, string ns, JsonObject body, bool dryRun = false, FieldValidation validation = FieldValidation.Warn, Action<JsonObject?, JsonObject>? trackFields = null) =>
        Completed(CreateAsync(type, ns, body, dryRun, validation, trackFields, admission: null, CancellationToken.None));

    /// <summary>A create; with <paramref name="admission"/>, every attempt is admitted (mutating, then validating plugins).</summary>
    public async ValueTask<WriteResult> CreateAsync(ResourceType type, string ns, JsonObject body, bool dryRun, FieldValidation validation, Action<JsonObject?, JsonObject>? trackFields, AdmissionContext? admission, CancellationToken ct)
    {
        WriteResult? result;
        while ((result = await CreateOnceAsync(type, ns, body, dryRun, validation, trackFields, createIfMissing: false, admission, ct)) is null)
        {
            // A generated name or an allocated ClusterIP was taken meanwhile: pick another.
        }

        OnChanged();
        return result;
    }

    /// <summary>The result of a write made without admission: nothing on that path waits, so it has completed.</summary>
    private static WriteResult Completed(ValueTask<WriteResult> write) => write.GetAwaiter().GetResult();

    /// <summary>
    /// One attempt at a create; <paramref name="body"/> is the caller's private tree and becomes the stored object
    /// (unless a mutating plugin answers with another). Null when it must be redone: a generated name or an allocated
    /// ClusterIP was taken meanwhile, or (<paramref name="createIfMissing"/>) the object appeared meanwhile and the
    /// caller should update it instead. The order is the real server's: decoding (pruning, defaults), mutating
    /// admission, the strategy (name generation, PrepareForCreate, validation), validating admission, storage.
    /// </summary>
    private async ValueTask<WriteResult?> CreateOnceAsync(ResourceType type, string ns, JsonObject body, bool dryRun, FieldValidation validation, Action<JsonObject?, JsonObject>? trackFields, bool createIfMissing, AdmissionContext? admission, CancellationToken ct)
    {
        var obj = body;
        Meta.DropNulls(obj);
        var warnings = PruneAndDefault(type, obj, validation);
        StorageStrategy.Default(type, obj);

        // The in-tree mutating plugins (DefaultStorageClass, StorageObjectInUseProtection) come before the webhooks.
        if (StorageStrategy.IsStorage(type.Builtin))
        {
            StorageStrategy.AdmitCreate(type.Builtin, obj, StorageClasses);
        }

        if (admission is not null && await admission.MutateAsync(AdmissionOperation.Create, Identity(type), ns, Meta.Name(obj), dryRun, obj, null, ct) is { } patched)
        {
            obj = Decode(type, patched);
        }

        var meta = Meta.Of(obj);
        var name = Meta.Name(obj);
        var generated = name.Length == 0;
        if (generated)
        {
            var generateName = Meta.Str(obj, "generateName");
            if (string.IsNullOrEmpty(generateName))
            {
                throw ApiException.Invalid(type.Kind, type.Group, "", [new FieldError("FieldValueRequired", "metadata.name", "name or generateName is required")]);
            }

            lock (_gate)
            {
                do
                {
                    name = generateName + new string([.. Enumerable.Range(0, 5).Select(_ => GenerateNameAlphabet[Random.Shared.Next(GenerateNameAlphabet.Length)])]);
                }
                while (_objects.Get(type.StorageKey, ns, name) is not null);
            }

            meta["name"] = name;
        }

        ValidateName(type, name);
        lock (_gate)
        {
            // Checked here too (and again at commit) so errors come in the order the real server reports them.
            if (type.Namespaced)
            {
                CheckNamespaceLocked(type, ns, name);
            }

            if (_objects.Get(type.StorageKey, ns, name) is not null)
            {
                return createIfMissing ? null : throw ApiException.AlreadyExists(type.Name, name);
            }
        }

        if (type.Namespaced)
        {
            meta["namespace"] = ns;
        }
        else
        {
            meta.Remove("namespace");
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

        HashSet<StoredObject>? servicesSeen = null;
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
            {
                // The ClusterIP is picked from the services stored now; the commit checks no service created since took it.
                List<StoredObject> services;
                lock (_gate)
                {
                    services = [.. _objects.List(type.StorageKey, null)];
                }

                if (ServiceStrategy.PrepareForCreate(obj, services.Select(o => o.ToJsonObject())))
                {
                    servicesSeen = new HashSet<StoredObject>(services, ReferenceEqualityComparer.Instance);
                }

                break;
            }

            case BuiltinKind.CustomResourceDefinition:
                CrdStrategy.Validate(obj);
                CrdStrategy.FillStatus(obj, null, Now);
                break;
            case BuiltinKind.PersistentVolumeClaim or BuiltinKind.PersistentVolume or BuiltinKind.StorageClass:
                StorageStrategy.PrepareForCreate(type.Builtin, obj, Now);
                StorageStrategy.ValidateCreate(type, obj);
                break;
        }

        ValidateCustom(type, obj, null, statusOnly: false);
        trackFields?.Invoke(null, obj);
        if (admission is not null)
        {
            await admission.ValidateAsync(AdmissionOperation.Create, Identity(type), ns, name, dryRun, obj, null, ct);
        }

        if (dryRun)
        {
            return new WriteResult(StoredObject.From(obj), Created: true) { Warnings = warnings };
        }

        // A placeholder where the revision goes: it is stamped into the serialized form at commit.
        meta["resourceVersion"] = "0";
        var prepared = StoredObject.From(obj, DefaultsMark(type));
        StoredObject stored;
        lock (_gate)
        {
            if (type.Namespaced)
            {
                CheckNamespaceLocked(type, ns, name);
            }

            var taken = _objects.Get(type.StorageKey, ns, name) is not null;
            if (!taken && servicesSeen is not null)
            {
                var ip = obj["spec"]?["clusterIP"]?.ToString();
                taken = _objects.List(type.StorageKey, null).Any(s => !servicesSeen.Contains(s) && s.ToJsonObject()["spec"]?["clusterIP"]?.ToString() == ip);
                if (taken)
                {
                    if (ReferenceEquals(obj, body))
                    {
                        ServiceStrategy.ForgetAllocation(obj);
                    }

                    return null;
                }
            }

            if (taken)
            {
                if (generated && ReferenceEquals(obj, body))
                {
                    // The next attempt generates another name.
                    meta.Remove("name");
                }

                return generated || createIfMissing ? null : throw ApiException.AlreadyExists(type.Name, name);
            }

            var rv = _objects.NextRevision();
            stored = prepared.WithResourceVersion(rv);
            _objects.Put(type.StorageKey, ns, name, stored);
            _hub.Publish(new WatchEvent(rv, type.StorageKey, "ADDED", stored, null));
            if (type.Builtin == BuiltinKind.CustomResourceDefinition)
            {
                Registry.Register(ResourceRegistry.FromCrd(stored.ToJsonObject()));
                LogCrdEstablished(name);
            }
        }

        return new WriteResult(stored, Created: true) { Warnings = warnings };
    }

    /// <summary>The resource that owns the storage of <paramref name="type"/>, whose identity admission reports (events.k8s.io events are core events).</summary>
    private ResourceType Identity(ResourceType type) => Registry.FindByStorageKey(type.StorageKey) ?? type;

    /// <summary>An object a mutating plugin returned, decoded again as the real server decodes a patched object.</summary>
    private static JsonObject Decode(ResourceType type, JsonObject patched)
    {
        Meta.DropNulls(patched);
        PruneAndDefault(type, patched, FieldValidation.Ignore);
        StorageStrategy.Default(type, patched);
        return patched;
    }

    /// <summary>The stored StorageClasses, for the DefaultStorageClass admission plugin (its lister).</summary>
    private IEnumerable<JsonObject> StorageClasses()
    {
        List<StoredObject> classes;
        lock (_gate)
        {
            classes = [.. _objects.List(Registry.StorageClasses.StorageKey, null)];
        }

        return classes.Select(c => c.ToJsonObject());
    }

    private void CheckNamespaceLocked(ResourceType type, string ns, string name)
    {
        var nsObj = _objects.Get(Registry.Namespaces.StorageKey, "", ns) ?? throw ApiException.NamespaceNotFound(ns);
        if (nsObj.Terminating)
        {
            throw ApiException.Forbidden(type.Name, name, $"{type.Name.Qualified} \"{name}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated");
        }
    }

    /// <summary>What a stored object records as the schema it was defaulted with (custom resources only).</summary>
    private static object? DefaultsMark(ResourceType type) => type.IsCustom ? type.StorageSchema : null;

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
        else if (type.Version(type.StorageVersion)?.HasStatus == true)
        {
            // Validated as if status were absent (a subresource owns it); detached and put back in place, not copied.
            using (Detach(obj, "status"))
            using (Detach(old, "status"))
            {
                StructuralSchema.Validate(obj, schema, "", errors);
                StructuralSchema.ValidateTransitions(obj, old, schema, "", errors);
            }
        }
        else
        {
            StructuralSchema.Validate(obj, schema, "", errors);
            StructuralSchema.ValidateTransitions(obj, old, schema, "", errors);
        }

        if (errors.Count > 0)
        {
            throw ApiException.Invalid(type.Kind, type.Group, Meta.Name(obj), errors);
        }
    }

    /// <summary>Takes a property out of an object until disposed, then puts it back at its position.</summary>
    private static Detached Detach(JsonObject? obj, string key)
    {
        if (obj is null || obj.IndexOf(key) is var index && index < 0)
        {
            return default;
        }

        var value = obj[key];
        obj.RemoveAt(index);
        return new Detached(obj, index, key, value);
    }

    private readonly struct Detached(JsonObject? obj, int index, string key, JsonNode? value) : IDisposable
    {
        public void Dispose() => obj?.Insert(index, key, value);
    }

    /// <summary>Whether reading the object must apply schema defaults (KEP-575): it was not written with the current schema.</summary>
    public static bool NeedsReadDefaults(ResourceType type, StoredObject stored) =>
        type.IsCustom && type.StorageSchemaHasDefaults && !ReferenceEquals(stored.DefaultedWith, type.StorageSchema);

    /// <summary>A private tree of a stored object as a reader sees it: defaults applied (KEP-575).</summary>
    public static JsonObject Read(ResourceType type, StoredObject stored)
    {
        var obj = stored.ToJsonObject();
        return NeedsReadDefaults(type, stored) ? DefaultOnRead(type, obj) : obj;
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
    /// (null when missing and <see cref="UpdateOptions.CreateIfMissing"/>) and returns the desired object; it runs
    /// again, on a fresh copy, when the object changed before the write could commit.
    /// </summary>
    public WriteResult Update(ResourceType type, string ns, string name, Func<JsonObject?, JsonObject> mutate, UpdateOptions options) =>
        Completed(UpdateAsync(type, ns, name, mutate, options, admission: null, CancellationToken.None));

    /// <summary>An update; with <paramref name="admission"/>, every attempt (a conflict redoes it) is admitted anew.</summary>
    public async ValueTask<WriteResult> UpdateAsync(ResourceType type, string ns, string name, Func<JsonObject?, JsonObject> mutate, UpdateOptions options, AdmissionContext? admission, CancellationToken ct)
    {
        WriteResult? result;
        do
        {
            var snapshot = Get(type, ns, name);
            if (snapshot is null)
            {
                if (!options.CreateIfMissing)
                {
                    throw ApiException.NotFound(type.Name, name);
                }

                result = await CreateOnceAsync(type, ns, mutate(null), options.DryRun, options.Validation, options.TrackFields, createIfMissing: true, admission, ct);
            }
            else
            {
                // Patches apply to the object as a reader sees it, defaults included.
                result = await UpdateOnceAsync(type, snapshot, mutate(Read(type, snapshot)), options, admission, ct);
            }
        }
        while (result is null);

        OnChanged();
        return result;
    }

    /// <summary>
    /// One attempt at an update of <paramref name="snapshot"/>; null when it was replaced meanwhile. As in the real
    /// server's GuaranteedUpdate: mutating admission on the patched object, the strategy, validating admission on the
    /// object as it would be stored, then the compare-and-swap.
    /// </summary>
    private async ValueTask<WriteResult?> UpdateOnceAsync(ResourceType type, StoredObject snapshot, JsonObject desired, UpdateOptions options, AdmissionContext? admission, CancellationToken ct)
    {
        var stored = snapshot.ToJsonObject();
        var name = snapshot.Name;
        Meta.DropNulls(desired);
        var warnings = PruneAndDefault(type, desired, options.Validation);
        StorageStrategy.Default(type, desired);

        // The old object as the real server sees it: read from storage, so defaulted. Only read from here on.
        var current = NeedsReadDefaults(type, snapshot) ? DefaultOnRead(type, snapshot.ToJsonObject()) : stored;
        var bodyName = Meta.Str(desired, "name");
        if (!string.IsNullOrEmpty(bodyName) && bodyName != name)
        {
            throw ApiException.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
        }

        if (admission is not null && await admission.MutateAsync(AdmissionOperation.Update, Identity(type), snapshot.Namespace, name, options.DryRun, desired, current, ct) is { } patched)
        {
            desired = Decode(type, patched);
        }

        var rv = Meta.Str(desired, "resourceVersion");
        if (string.IsNullOrEmpty(rv))
        {
            if (options.RequireResourceVersion && !type.AllowsUnconditionalUpdate)
            {
                throw ApiException.Invalid(type.Kind, type.Group, name, [new FieldError("FieldValueInvalid", "metadata.resourceVersion", "must be specified for an update", "0x0")]);
            }
        }
        else if (rv != snapshot.ResourceVersion)
        {
            throw ApiException.Conflict(type.Name, name);
        }

        var hasStatus = type.Version(type.StorageVersion)?.HasStatus == true;
        JsonObject updated;
        if (options.StatusSubresource)
        {
            // Status writes change only status; everything else is the stored object.
            updated = ReferenceEquals(current, stored) ? snapshot.ToJsonObject() : current.DeepClone().AsObject();
            updated.Remove("status");
            if (desired["status"] is { } st)
            {
                desired.Remove("status");
                updated["status"] = st;
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

            if (snapshot.Terminating)
            {
                var added = Meta.Finalizers(updated).Except(snapshot.Finalizers).ToList();
                if (added.Count > 0)
                {
                    throw ApiException.Invalid(type.Kind, type.Group, name, [new FieldError("FieldValueForbidden", "metadata.finalizers",
                        $"no new finalizers can be added if the object is being deleted, found new finalizers []string{{{string.Join(", ", added.Select(a => $"\"{a}\""))}}}")]);
                }
            }
        }

        Meta.Of(updated)["resourceVersion"] = snapshot.ResourceVersion;
        if (type.Builtin == BuiltinKind.CustomResourceDefinition)
        {
            CrdStrategy.Validate(updated);
            CrdStrategy.FillStatus(updated, current["status"]?.DeepClone() as JsonObject, Now);
        }
        else if (StorageStrategy.IsStorage(type.Builtin))
        {
            StorageStrategy.PrepareForUpdate(type.Builtin, updated, current, options.StatusSubresource, Now);
            StorageStrategy.ValidateUpdate(type, updated, current, options.StatusSubresource);
        }

        ValidateCustom(type, updated, current, options.StatusSubresource);
        options.TrackFields?.Invoke(current, updated);
        if (type.TracksGeneration && !options.StatusSubresource && !SameContent(current, updated, hasStatus))
        {
            Meta.Of(updated)["generation"] = snapshot.Generation + 1;
        }

        if (admission is not null)
        {
            // Upstream admits no-op updates too: the comparison with the stored bytes comes after.
            await admission.ValidateAsync(AdmissionOperation.Update, Identity(type), snapshot.Namespace, name, options.DryRun, updated, current, ct);
        }

        if (JsonNode.DeepEquals(stored, updated))
        {
            return new WriteResult(snapshot) { Warnings = warnings };
        }

        if (options.DryRun)
        {
            return new WriteResult(StoredObject.From(updated)) { Warnings = warnings };
        }

        if (Meta.IsTerminating(updated) && !HasPendingFinalizers(type, updated))
        {
            lock (_gate)
            {
                return IsCurrentLocked(type, snapshot) ? RemoveLocked(type, snapshot) with { Warnings = warnings } : null;
            }
        }

        var prepared = StoredObject.From(updated, DefaultsMark(type));
        StoredObject committed;
        lock (_gate)
        {
            if (!IsCurrentLocked(type, snapshot))
            {
                return null;
            }

            var next = _objects.NextRevision();
            committed = prepared.WithResourceVersion(next);
            _objects.Put(type.StorageKey, snapshot.Namespace, name, committed);
            _hub.Publish(new WatchEvent(next, type.StorageKey, "MODIFIED", committed, snapshot));
            if (type.Builtin == BuiltinKind.CustomResourceDefinition)
            {
                Registry.Register(ResourceRegistry.FromCrd(committed.ToJsonObject()));
            }
        }

        return new WriteResult(committed) { Warnings = warnings };
    }

    private bool IsCurrentLocked(ResourceType type, StoredObject snapshot) =>
        ReferenceEquals(_objects.Get(type.StorageKey, snapshot.Namespace, snapshot.Name), snapshot);

    /// <summary>Whether two versions are equal but for metadata (and status when a subresource owns it): generation stays.</summary>
    private static bool SameContent(JsonObject a, JsonObject b, bool withoutStatus)
    {
        var count = 0;
        foreach (var (key, value) in a)
        {
            if (key == "metadata" || (withoutStatus && key == "status"))
            {
                continue;
            }

            count++;
            if (!b.TryGetPropertyValue(key, out var other) || !JsonNode.DeepEquals(value, other))
            {
                return false;
            }
        }

        foreach (var (key, _) in b)
        {
            if (key != "metadata" && !(withoutStatus && key == "status"))
            {
                count--;
            }
        }

        return count == 0;
    }

    private static bool HasPendingFinalizers(ResourceType type, JsonObject obj) =>
        Meta.Finalizers(obj).Count > 0
        || (type.Builtin == BuiltinKind.Namespace && obj["spec"]?["finalizers"] is JsonArray { Count: > 0 });

    /// <summary>Removes a stored object: the DELETED event carries its last state with the deletion revision.</summary>
    private WriteResult RemoveLocked(ResourceType type, StoredObject current)
    {
        var next = _objects.NextRevision();
        var last = current.WithResourceVersion(next);
        _objects.Remove(type.StorageKey, current.Namespace, current.Name);
        _hub.Publish(new WatchEvent(next, type.StorageKey, "DELETED", last, current));
        if (type.Builtin == BuiltinKind.CustomResourceDefinition)
        {
            var served = ResourceRegistry.FromCrd(current.ToJsonObject());
            Registry.Unregister(served.StorageKey);

            // Instances still left (the cleanup finalizer was removed by hand) go with their definition.
            foreach (var orphan in _objects.List(served.StorageKey, null).ToList())
            {
                RemoveLocked(served, orphan);
            }

            LogCrdRemoved(current.Name);
        }

        return new WriteResult(last, Removed: true);
    }

    public WriteResult Delete(ResourceType type, string ns, string name, DeleteOptions options) =>
        Completed(DeleteAsync(type, ns, name, options, admission: null, CancellationToken.None));

    /// <summary>
    /// A delete; with <paramref name="admission"/>, every attempt is admitted on the object it would delete, after the
    /// preconditions (as Storage.Delete and GuaranteedUpdate run the delete validation), and redone if it changed meanwhile.
    /// </summary>
    public async ValueTask<WriteResult> DeleteAsync(ResourceType type, string ns, string name, DeleteOptions options, AdmissionContext? admission, CancellationToken ct)
    {
        WriteResult? result;
        if (admission is null)
        {
            lock (_gate)
            {
                result = DeleteLocked(type, ns, name, options, expected: null)!;
            }
        }
        else
        {
            do
            {
                var snapshot = Get(type, ns, name) ?? throw ApiException.NotFound(type.Name, name);
                CheckPreconditions(type, name, snapshot, options);
                var old = Read(type, snapshot);
                await admission.MutateAsync(AdmissionOperation.Delete, Identity(type), ns, name, options.DryRun, null, old, ct);
                await admission.ValidateAsync(AdmissionOperation.Delete, Identity(type), ns, name, options.DryRun, null, old, ct);
                lock (_gate)
                {
                    result = DeleteLocked(type, ns, name, options, snapshot);
                }
            }
            while (result is null);
        }

        OnChanged();
        return result;
    }

    private static void CheckPreconditions(ResourceType type, string name, StoredObject current, DeleteOptions options)
    {
        if (options.PreconditionUid is { } uid && uid != current.Uid)
        {
            throw ApiException.Conflict(type.Name, name, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {current.Uid}");
        }

        if (options.PreconditionResourceVersion is { } prv && prv != current.ResourceVersion)
        {
            throw ApiException.Conflict(type.Name, name, $"Precondition failed: ResourceVersion in precondition: {prv}, ResourceVersion in object meta: {current.ResourceVersion}");
        }
    }

    /// <summary>The delete itself, under the lock; null when the object is no longer <paramref name="expected"/>.</summary>
    private WriteResult? DeleteLocked(ResourceType type, string ns, string name, DeleteOptions options, StoredObject? expected)
    {
        WriteResult result;
        var current = _objects.Get(type.StorageKey, ns, name) ?? throw ApiException.NotFound(type.Name, name);
        if (expected is not null && !ReferenceEquals(current, expected))
        {
            return null;
        }

        CheckPreconditions(type, name, current, options);
        var updated = current.ToJsonObject();
        var finalizers = Meta.Finalizers(updated);
        var changed = false;
        var policyFinalizer = options.PropagationPolicy switch
        {
            "Foreground" => "foregroundDeletion",
            "Orphan" => "orphan",
            _ => null,
        };
        if (policyFinalizer is not null && !finalizers.Contains(policyFinalizer) && !current.Terminating)
        {
            finalizers.Add(policyFinalizer);
            Meta.SetFinalizers(updated, finalizers);
            changed = true;
        }

        if (type.Builtin == BuiltinKind.CustomResourceDefinition && !finalizers.Contains(CrdStrategy.CleanupFinalizer))
        {
            finalizers.Add(CrdStrategy.CleanupFinalizer);
            Meta.SetFinalizers(updated, finalizers);
            changed = true;
        }

        if (!HasPendingFinalizers(type, updated))
        {
            result = options.DryRun ? new WriteResult(current, Removed: true) : RemoveLocked(type, current);
        }
        else if (current.Terminating && !changed)
        {
            result = new WriteResult(current);
        }
        else
        {
            var meta = Meta.Of(updated);
            if (!current.Terminating)
            {
                meta["deletionTimestamp"] = Now;
                meta["deletionGracePeriodSeconds"] = 0;
                if (current.Generation > 0)
                {
                    meta["generation"] = current.Generation + 1;
                }
            }

            if (type.Builtin == BuiltinKind.Namespace)
            {
                updated["status"] = new JsonObject { ["phase"] = "Terminating" };
            }
            else if (type.Builtin == BuiltinKind.CustomResourceDefinition)
            {
                CrdStrategy.FillStatus(updated, current.ToJsonObject()["status"] as JsonObject, Now);
            }

            if (options.DryRun)
            {
                result = new WriteResult(StoredObject.From(updated, current.DefaultedWith));
            }
            else
            {
                var next = _objects.NextRevision();
                var committed = StoredObject.From(updated, current.DefaultedWith).WithResourceVersion(next);
                _objects.Put(type.StorageKey, ns, name, committed);
                _hub.Publish(new WatchEvent(next, type.StorageKey, "MODIFIED", committed, current));
                result = new WriteResult(committed);
            }
        }

        return result;
    }

    /// <summary>
    /// Starts a watch. With no start revision the current objects are returned for synthetic ADDED events;
    /// otherwise history after <paramref name="fromRevision"/> is replayed into the subscription.
    /// </summary>
    public (WatchSubscription Subscription, List<StoredObject> Initial) StartWatch(ResourceType type, long? fromRevision)
    {
        lock (_gate)
        {
            if (fromRevision is { } from && from < _hub.CompactedRevision)
            {
                throw ApiException.Gone($"too old resource version: {from} ({_hub.CompactedRevision + 1})");
            }

            List<StoredObject> initial = fromRevision is null ? [.. _objects.List(type.StorageKey, null)] : [];
            return (_hub.Subscribe(type.StorageKey, fromRevision), initial);
        }
    }

    /// <summary>Subscribes to every bucket and returns, atomically with it, every stored object.</summary>
    public (WatchSubscription Subscription, List<(string Bucket, StoredObject Object)> Current) WatchAll()
    {
        lock (_gate)
        {
            List<(string, StoredObject)> current = [.. _objects.Buckets.ToList().SelectMany(b => _objects.List(b, null).Select(o => (b, o)))];
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
