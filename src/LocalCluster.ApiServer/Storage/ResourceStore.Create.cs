using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Admission;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Registry;
using Vers.LocalCluster.ApiServer.Resources;
using Vers.LocalCluster.ApiServer.Schema;

namespace Vers.LocalCluster.ApiServer.Storage;

/// <summary>Create (store.go <c>Store.Create</c> with rest.BeforeCreate).</summary>
internal sealed partial class ResourceStore
{
    private const string GenerateNameAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    private static readonly string[] ServerSetOnCreate = ["deletionTimestamp", "deletionGracePeriodSeconds", "resourceVersion", "generation", "selfLink"];

    public WriteResult Create(ResourceType type, string ns, JsonObject body, bool dryRun = false, FieldValidation validation = FieldValidation.Warn, Action<JsonObject?, JsonObject>? trackFields = null) =>
        Completed(CreateAsync(type, ns, body, dryRun, validation, trackFields, admission: null, CancellationToken.None));

    /// <summary>A create; with <paramref name="admission"/>, every attempt is admitted (mutating, then validating plugins).</summary>
    public async ValueTask<WriteResult> CreateAsync(ResourceType type, string ns, JsonObject body, bool dryRun, FieldValidation validation, Action<JsonObject?, JsonObject>? trackFields, AdmissionContext? admission, CancellationToken ct)
    {
        WriteResult? result;
        while ((result = await CreateOnceAsync(type, ns, body, dryRun, validation, trackFields, createIfMissing: false, admission, ct)) is null)
        {
            // A generated name or an allocated value was taken meanwhile: pick another.
        }

        OnChanged();
        return result;
    }

    /// <summary>The result of a write made without admission: nothing on that path waits, so it has completed.</summary>
    private static WriteResult Completed(ValueTask<WriteResult> write) => write.GetAwaiter().GetResult();

    /// <summary>
    /// One attempt at a create; <paramref name="body"/> is the caller's private tree and becomes the stored object
    /// (unless a mutating plugin answers with another). Null when it must be redone: a generated name or an allocated
    /// value was taken meanwhile, or (<paramref name="createIfMissing"/>) the object appeared meanwhile and the
    /// caller should update it instead. The order is the real server's: decoding (pruning, defaults), mutating
    /// admission, the strategy (name generation, PrepareForCreate, validation), validating admission, storage.
    /// </summary>
    private async ValueTask<WriteResult?> CreateOnceAsync(ResourceType type, string ns, JsonObject body, bool dryRun, FieldValidation validation, Action<JsonObject?, JsonObject>? trackFields, bool createIfMissing, AdmissionContext? admission, CancellationToken ct)
    {
        var strategy = type.Strategy;
        var context = Context(type);
        var obj = body;
        Meta.DropNulls(obj);
        var warnings = new List<string>(strategy.Decode(type, obj, validation));

        // The in-tree mutating plugins come before the webhooks.
        strategy.AdmitCreate(context, obj);
        if (admission is not null && await admission.MutateAsync(AdmissionOperation.Create, Identity(type), ns, Meta.Name(obj), dryRun, obj, null, ct) is { } patched)
        {
            obj = Decode(type, patched);
        }

        var meta = Meta.Of(obj);
        var name = Meta.Name(obj);
        var generated = name.Length == 0;
        if (generated)
        {
            name = GenerateName(type, ns, obj);
            meta["name"] = name;
        }

        ThrowIfInvalid(type, name, generated
            ? [.. ObjectMetaRules.GenerateName(Meta.Str(obj, "generateName")!, strategy.ValidateName), .. strategy.ValidateName(name)]
            : strategy.ValidateName(name));
        lock (_view)
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

        FillServerMetadata(type, ns, obj);
        var reservation = strategy.PrepareForCreate(context, obj);
        ThrowIfInvalid(type, name, strategy.Validate(context, obj));

        // rest.BeforeCreate: the ObjectMeta rules every kind shares, once the kind's own validation passed.
        ThrowIfInvalid(type, name, ObjectMetaRules.Validate(obj));
        warnings.AddRange(strategy.WarningsOnCreate(context, obj));
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
        var prepared = StoredObject.From(obj, strategy.DefaultsMark(type));
        StoredObject stored;
        lock (_gate)
        {
            if (type.Namespaced)
            {
                CheckNamespaceLocked(type, ns, name);
            }

            if (reservation is not null && reservation.IsTaken(t => _objects.List(t.StorageKey, null)))
            {
                reservation.Release(obj);
                return null;
            }

            if (_objects.Get(type.StorageKey, ns, name) is not null)
            {
                if (generated && ReferenceEquals(obj, body))
                {
                    // The next attempt generates another name.
                    meta.Remove("name");
                }

                return generated || createIfMissing ? null : throw ApiException.AlreadyExists(type.Name, name);
            }

            var rv = NextRevision;
            stored = prepared.WithResourceVersion(rv);
            Commit(type, "create", ns, name, stored, new Watch.WatchEvent(rv, type.StorageKey, "ADDED", stored, null));
            strategy.OnStored(this, stored);
        }

        return new WriteResult(stored, Created: true) { Warnings = warnings };
    }

    /// <summary>
    /// metadata.generateName (cut to 58 characters, names.SimpleNameGenerator) plus five random characters, free at
    /// the time of asking (checked again at commit).
    /// </summary>
    private string GenerateName(ResourceType type, string ns, JsonObject obj)
    {
        var generateName = Meta.Str(obj, "generateName");
        if (string.IsNullOrEmpty(generateName))
        {
            throw ApiException.Invalid(type.Kind, type.Group, "", [new FieldError("FieldValueRequired", "metadata.name", "name or generateName is required")]);
        }

        string name;
        lock (_view)
        {
            do
            {
                name = generateName[..Math.Min(generateName.Length, 58)] + new string([.. Enumerable.Range(0, 5).Select(_ => GenerateNameAlphabet[Random.Shared.Next(GenerateNameAlphabet.Length)])]);
            }
            while (_objects.Get(type.StorageKey, ns, name) is not null);
        }

        return name;
    }

    /// <summary>rest.BeforeCreate's part for every kind: identity, uid, creation time, generation 1, no status where a subresource owns it.</summary>
    private void FillServerMetadata(ResourceType type, string ns, JsonObject obj)
    {
        var meta = Meta.Of(obj);
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
        foreach (var f in ServerSetOnCreate)
        {
            meta.Remove(f);
        }

        if (type.TracksGeneration)
        {
            meta["generation"] = 1;
        }

        if (type.Version(type.StorageVersion)!.HasStatus)
        {
            // Strategies of resources with a status subresource reset status on create (some fill theirs in PrepareForCreate).
            obj.Remove("status");
        }
    }

    /// <summary>An object a mutating plugin returned, decoded again as the real server decodes a patched object.</summary>
    private static JsonObject Decode(ResourceType type, JsonObject patched)
    {
        Meta.DropNulls(patched);
        type.Strategy.Decode(type, patched, FieldValidation.Ignore);
        return patched;
    }
}
