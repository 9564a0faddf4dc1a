using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Admission;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Registry;
using Vers.LocalCluster.ApiServer.Resources;

namespace Vers.LocalCluster.ApiServer.Storage;

/// <summary>Update (store.go <c>Store.Update</c> with rest.BeforeUpdate, over GuaranteedUpdate).</summary>
internal sealed partial class ResourceStore
{
    private static readonly string[] ImmutableMetadata = ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "namespace", "name"];

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
        var strategy = type.Strategy;
        var context = Context(type, options.Subresource);
        var stored = snapshot.ToJsonObject();
        var name = snapshot.Name;
        Meta.DropNulls(desired);
        var warnings = new List<string>(strategy.Decode(type, desired, options.Validation));

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

        CheckResourceVersion(type, snapshot, desired, options);
        var hasStatus = type.Version(type.StorageVersion)?.HasStatus == true;
        var updated = options.StatusSubresource
            ? StatusOnly(desired, ReferenceEquals(current, stored) ? snapshot.ToJsonObject() : current.DeepClone().AsObject())
            : KeepServerOwned(type, snapshot, desired, current, hasStatus);
        Meta.Of(updated)["resourceVersion"] = snapshot.ResourceVersion;
        strategy.PrepareForUpdate(context, updated, current);
        ThrowIfInvalid(type, name, strategy.ValidateUpdate(context, updated, current));

        // rest.BeforeUpdate: the ObjectMeta rules every kind shares, once the kind's own validation passed.
        ThrowIfInvalid(type, name, ObjectMetaRules.Validate(updated));
        warnings.AddRange(strategy.WarningsOnUpdate(context, updated, current));
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

        var prepared = StoredObject.From(updated, strategy.DefaultsMark(type));
        StoredObject committed;
        lock (_gate)
        {
            if (!IsCurrentLocked(type, snapshot))
            {
                return null;
            }

            var next = NextRevision;
            committed = prepared.WithResourceVersion(next);
            Commit(type, "update", snapshot.Namespace, name, committed, new Watch.WatchEvent(next, type.StorageKey, "MODIFIED", committed, snapshot));
            strategy.OnStored(this, committed);
        }

        return new WriteResult(committed) { Warnings = warnings };
    }

    /// <summary>Optimistic concurrency: a given resourceVersion must be the stored one; none is allowed only where the strategy allows it.</summary>
    private static void CheckResourceVersion(ResourceType type, StoredObject snapshot, JsonObject desired, UpdateOptions options)
    {
        var rv = Meta.Str(desired, "resourceVersion");
        if (string.IsNullOrEmpty(rv))
        {
            if (options.RequireResourceVersion && !type.AllowsUnconditionalUpdate)
            {
                throw ApiException.Invalid(type.Kind, type.Group, snapshot.Name, [new FieldError("FieldValueInvalid", "metadata.resourceVersion", "must be specified for an update", "0x0")]);
            }
        }
        else if (rv != snapshot.ResourceVersion)
        {
            throw ApiException.Conflict(type.Name, snapshot.Name);
        }
    }

    /// <summary>A status write changes only status; everything else is the stored object.</summary>
    private static JsonObject StatusOnly(JsonObject desired, JsonObject updated)
    {
        updated.Remove("status");
        if (desired["status"] is { } st)
        {
            desired.Remove("status");
            updated["status"] = st;
        }

        return updated;
    }

    /// <summary>
    /// A main-resource write keeps what the server owns: apiVersion/kind as stored, status where a subresource owns
    /// it, the immutable metadata; a terminating object gains no finalizers.
    /// </summary>
    private static JsonObject KeepServerOwned(ResourceType type, StoredObject snapshot, JsonObject desired, JsonObject current, bool hasStatus)
    {
        var updated = desired;
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

        var meta = Meta.Of(updated);
        var curMeta = Meta.Of(current);
        foreach (var f in ImmutableMetadata)
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
                throw ApiException.Invalid(type.Kind, type.Group, snapshot.Name, [new FieldError("FieldValueForbidden", "metadata.finalizers",
                    $"no new finalizers can be added if the object is being deleted, found new finalizers []string{{{string.Join(", ", added.Select(a => $"\"{a}\""))}}}")]);
            }
        }

        return updated;
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
}
