using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Admission;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Resources;

namespace Vers.LocalCluster.ApiServer.Storage;

/// <summary>Delete (store.go <c>Store.Delete</c>: preconditions, graceful deletion with finalizers, removal).</summary>
internal sealed partial class ResourceStore
{
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
        var current = _objects.Get(type.StorageKey, ns, name) ?? throw ApiException.NotFound(type.Name, name);
        if (expected is not null && !ReferenceEquals(current, expected))
        {
            return null;
        }

        CheckPreconditions(type, name, current, options);
        var updated = current.ToJsonObject();
        var finalizers = Meta.Finalizers(updated);
        var policyFinalizer = options.PropagationPolicy switch
        {
            "Foreground" => "foregroundDeletion",
            "Orphan" => "orphan",
            _ => null,
        };
        IEnumerable<string> added = current.Terminating || policyFinalizer is null ? [] : [policyFinalizer];
        added = [.. added.Concat(type.Strategy.FinalizersOnDelete).Where(f => !finalizers.Contains(f)).Distinct()];
        var changed = added.Any();
        if (changed)
        {
            finalizers.AddRange(added);
            Meta.SetFinalizers(updated, finalizers);
        }

        if (!HasPendingFinalizers(type, updated))
        {
            return options.DryRun ? new WriteResult(current, Removed: true) : RemoveLocked(type, current);
        }

        if (current.Terminating && !changed)
        {
            return new WriteResult(current);
        }

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

        type.Strategy.PrepareForDelete(Context(type), updated, current.ToJsonObject());
        if (options.DryRun)
        {
            return new WriteResult(StoredObject.From(updated, current.DefaultedWith));
        }

        var next = NextRevision;
        var committed = StoredObject.From(updated, current.DefaultedWith).WithResourceVersion(next);
        Commit(type, "delete", ns, name, committed, new Watch.WatchEvent(next, type.StorageKey, "MODIFIED", committed, current));
        return new WriteResult(committed);
    }

    private static bool HasPendingFinalizers(ResourceType type, JsonObject obj) =>
        Meta.Finalizers(obj).Count > 0 || type.Strategy.BlocksRemoval(obj);

    /// <summary>Removes a stored object: the DELETED event carries its last state with the deletion revision.</summary>
    private WriteResult RemoveLocked(ResourceType type, StoredObject current)
    {
        var next = NextRevision;
        var last = current.WithResourceVersion(next);
        Commit(type, "delete", current.Namespace, current.Name, null, new Watch.WatchEvent(next, type.StorageKey, "DELETED", last, current));
        type.Strategy.OnRemoved(this, current);
        return new WriteResult(last, Removed: true);
    }

    /// <summary>Removes every object of a bucket; called by strategies under the lock (a CRD's instances go with it).</summary>
    void Registry.IRegistryHooks.RemoveAll(ResourceType type)
    {
        foreach (var orphan in _objects.List(type.StorageKey, null).ToList())
        {
            RemoveLocked(type, orphan);
        }
    }
}
