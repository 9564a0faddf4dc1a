using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Vers.LocalCluster.ApiServer.Admission;
using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Registry.ApiExtensions;
using Vers.LocalCluster.ApiServer.Registry.Core;
using Vers.LocalCluster.ApiServer.Registry.Volumes;
using Vers.LocalCluster.ApiServer.Resources;
using Vers.LocalCluster.ApiServer.Storage;
using Vers.LocalCluster.ApiServer.Watch;

namespace Vers.LocalCluster.ApiServer.Controllers;

/// <summary>
/// Plays kube-controller-manager for the object lifecycle: ownerReference garbage collection (background, foreground,
/// orphan), namespace termination, CRD instance cleanup and the storage protection finalizers. Runs asynchronously
/// after each write, like the real controllers, so clients see the same ordering (owner gone first, dependents
/// shortly after). Its writes pass admission as the real controllers' requests do, under their service accounts; one
/// a plugin refuses is tried again when the object is looked at next.
/// </summary>
internal sealed partial class LifecycleController : IAsyncDisposable
{
    private readonly ResourceStore _store;
    private readonly AdmissionChain _admission;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    // Indexes fed by a watch on every bucket. They hold the stored objects themselves (immutable, shared with the
    // store) and read only their extracted metadata, so keeping them costs a reference per object. Only the loop touches them.
    private readonly Dictionary<string, (string Bucket, StoredObject Object)> _byUid = [];
    private readonly Dictionary<string, HashSet<string>> _dependents = [];
    private readonly HashSet<string> _terminating = [];
    private readonly WatchSubscription _subscription;
    private readonly List<(string Bucket, StoredObject Object)> _initial;

    // Dictionaries keep their bucket arrays when emptied: after a mass deletion the indexes are trimmed to what is left.
    private int _indexedHighWater;
    private int _objectCount;

    /// <summary>Objects in the store as of the last batch of events the controller has applied.</summary>
    public int ObjectCount => Volatile.Read(ref _objectCount);

    public LifecycleController(ResourceStore store, AdmissionChain admission, ILogger logger)
    {
        _store = store;
        _admission = admission;
        _logger = logger;
        (_subscription, _initial) = store.WatchAll();
        _loop = Task.Run(RunAsync);
    }

    /// <summary>
    /// One full pass at start, then incremental: each batch of storage events is applied to the indexes and only
    /// the objects it can concern are looked at — the changed objects, their owners, their dependents and the
    /// terminating objects. The work per write no longer grows with the number of objects in the cluster.
    /// </summary>
    private async Task RunAsync()
    {
        var candidates = new HashSet<string>();
        foreach (var (bucket, obj) in _initial)
        {
            Index(bucket, obj, null);
            candidates.Add(obj.Uid);
        }

        _initial.Clear();
        _initial.TrimExcess();
        var reader = _subscription.Channel.Reader;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                // Terminating objects wait for others (dependents, a namespace's or a CRD's content): look again each time.
                candidates.UnionWith(_terminating);
                await ReconcileAsync(candidates);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                // Stopping while an admission plugin was called.
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogReconcileFailed(e);
            }

            candidates.Clear();
            ShrinkAfterDeletions(candidates);
            try
            {
                if (!await reader.WaitToReadAsync(_stop.Token))
                {
                    return;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }

            while (reader.TryRead(out var e))
            {
                Apply(e, candidates);
            }
        }
    }

    private void ShrinkAfterDeletions(HashSet<string> candidates)
    {
        var count = _byUid.Count;
        Volatile.Write(ref _objectCount, count);
        _indexedHighWater = Math.Max(_indexedHighWater, count);
        if (_indexedHighWater > 1024 && count < _indexedHighWater / 2)
        {
            _byUid.TrimExcess();
            _dependents.TrimExcess();
            _terminating.TrimExcess();
            candidates.TrimExcess();
            _indexedHighWater = count;
        }
    }

    private void Apply(WatchEvent e, HashSet<string> candidates)
    {
        var uid = e.Object.Uid;
        if (e.Type == "DELETED")
        {
            Unindex(e.Object);
            if (_dependents.TryGetValue(uid, out var dependents))
            {
                candidates.UnionWith(dependents);
            }
        }
        else
        {
            Index(e.Bucket, e.Object, e.Previous);
            candidates.Add(uid);
        }

        // An owner deleting in the foreground waits for this object.
        foreach (var owner in e.Object.Owners)
        {
            if (owner.Uid is { } ownerUid)
            {
                candidates.Add(ownerUid);
            }
        }
    }

    private void Index(string bucket, StoredObject obj, StoredObject? previous)
    {
        var uid = obj.Uid;
        if (previous is not null)
        {
            RemoveOwnerLinks(previous);
        }

        _byUid[uid] = (bucket, obj);
        foreach (var owner in obj.Owners)
        {
            if (owner.Uid is { } ownerUid)
            {
                if (!_dependents.TryGetValue(ownerUid, out var set))
                {
                    _dependents[ownerUid] = set = [];
                }

                set.Add(uid);
            }
        }

        if (obj.Terminating)
        {
            _terminating.Add(uid);
        }
        else
        {
            _terminating.Remove(uid);
        }
    }

    private void Unindex(StoredObject obj)
    {
        var uid = obj.Uid;
        RemoveOwnerLinks(obj);
        _byUid.Remove(uid);
        _terminating.Remove(uid);
    }

    private void RemoveOwnerLinks(StoredObject obj)
    {
        var uid = obj.Uid;
        foreach (var owner in obj.Owners)
        {
            if (owner.Uid is { } ownerUid && _dependents.TryGetValue(ownerUid, out var set))
            {
                set.Remove(uid);
                if (set.Count == 0)
                {
                    _dependents.Remove(ownerUid);
                }
            }
        }
    }

    /// <summary>Looks at the given objects; every action it takes is a write, whose event brings the next batch.</summary>
    private async ValueTask ReconcileAsync(IEnumerable<string> uids)
    {
        foreach (var uid in uids)
        {
            if (!_byUid.TryGetValue(uid, out var entry))
            {
                continue;
            }

            var (bucket, obj) = entry;
            var type = _store.Registry.FindByStorageKey(bucket);
            if (type is null)
            {
                continue;
            }

            await TryAsync(() => CollectGarbageAsync(type, obj));
            if (!obj.Terminating)
            {
                continue;
            }

            var finalizers = obj.Finalizers;
            if (finalizers.Contains("orphan"))
            {
                await TryAsync(() => OrphanAsync(type, obj));
            }
            else if (finalizers.Contains("foregroundDeletion"))
            {
                await TryAsync(() => ForegroundAsync(type, obj));
            }

            if (type.Builtin == BuiltinKind.Namespace)
            {
                await TryAsync(() => FinalizeNamespaceAsync(type, obj));
            }
            else if (type.Builtin == BuiltinKind.CustomResourceDefinition && finalizers.Contains(CustomResourceDefinitionStrategy.CleanupFinalizer))
            {
                await TryAsync(() => CleanupCrdAsync(type, obj));
            }
            else if (type.Builtin == BuiltinKind.PersistentVolumeClaim && finalizers.Contains(VolumeRules.PvcProtectionFinalizer))
            {
                // pkg/controller/volume/pvcprotection (processPVC): the finalizer goes once no pod uses the claim, and
                // this server runs no pods.
                await TryAsync(() => RemoveFinalizerAsync(type, obj, VolumeRules.PvcProtectionFinalizer, ClusterUsers.PvcProtectionController));
            }
            else if (type.Builtin == BuiltinKind.PersistentVolume && finalizers.Contains(VolumeRules.PvProtectionFinalizer)
                     && obj.ToJsonObject()["status"]?["phase"]?.ToString() != "Bound")
            {
                // pkg/controller/volume/pvprotection (processPV, isBeingUsed): the finalizer goes once the volume is
                // not Bound; a Bound volume waits for its phase to change (the binder releases it).
                await TryAsync(() => RemoveFinalizerAsync(type, obj, VolumeRules.PvProtectionFinalizer, ClusterUsers.PvProtectionController));
            }
        }
    }

    private async ValueTask TryAsync(Func<ValueTask> action)
    {
        try
        {
            await action();
        }
        catch (ApiException e) when (e.Code is 404 or 409)
        {
            // Changed concurrently; the write that changed it triggers another pass.
        }
        catch (ApiException e)
        {
            // Refused (an admission plugin, validation): the real controller would requeue; this one looks again
            // when the object changes, and at every pass while it is terminating.
            LogWriteRefused(e.Code, e.Message);
        }
    }

    private AdmissionContext? As(AdmissionUser user, string? subresource = null) => AdmissionContext.For(_admission, user, subresource);

    private async ValueTask FinalizeNamespaceAsync(ResourceType type, StoredObject ns)
    {
        var name = ns.Name;
        var remaining = 0;
        foreach (var (bucket, obj) in _byUid.Values.ToList())
        {
            if (obj.Namespace != name || _store.Registry.FindByStorageKey(bucket) is not { Namespaced: true } t)
            {
                continue;
            }

            remaining++;
            if (!obj.Terminating)
            {
                await _store.DeleteAsync(t, name, obj.Name, new Storage.DeleteOptions(PropagationPolicy: "Background"), As(ClusterUsers.NamespaceController), _stop.Token);
            }
        }

        if (remaining == 0 && ns.ToJsonObject()["spec"]?["finalizers"] is JsonArray { Count: > 0 })
        {
            await _store.UpdateAsync(type, "", name, current =>
            {
                current!["spec"] = new JsonObject();
                return current;
            }, new UpdateOptions(Subresource: NamespaceStrategy.FinalizeSubresource), As(ClusterUsers.NamespaceController, "finalize"), _stop.Token);
        }
    }

    /// <summary>
    /// The apiextensions finalizer controller: it deletes the instances through the custom resource storage itself
    /// (no admission), then removes its finalizer through the loopback client.
    /// </summary>
    private async ValueTask CleanupCrdAsync(ResourceType crdType, StoredObject crd)
    {
        var served = ResourceRegistry.FromCrd(crd.ToJsonObject());
        var current = _store.Registry.FindByStorageKey(served.StorageKey) ?? served;
        var (items, _) = _store.List(current, null, _ => true);
        foreach (var item in items.Where(i => !i.Terminating))
        {
            _store.Delete(current, item.Namespace, item.Name, new Storage.DeleteOptions(PropagationPolicy: "Background"));
        }

        if (items.Count == 0)
        {
            await RemoveFinalizerAsync(crdType, crd, CustomResourceDefinitionStrategy.CleanupFinalizer, ClusterUsers.ApiServer);
        }
    }

    private async ValueTask RemoveFinalizerAsync(ResourceType type, StoredObject obj, string finalizer, AdmissionUser user) =>
        await _store.UpdateAsync(type, obj.Namespace, obj.Name, current =>
        {
            Meta.SetFinalizers(current!, [.. Meta.Finalizers(current!).Where(f => f != finalizer)]);
            return current!;
        }, new UpdateOptions(), As(user), _stop.Token);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }

        _store.StopWatch(_subscription);
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Garbage collecting {Resource} {Namespace}/{Name}: all owners are gone")]
    private partial void LogCollecting(string resource, string @namespace, string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "Lifecycle write refused ({Code}): {Message}")]
    private partial void LogWriteRefused(int code, string message);

    [LoggerMessage(Level = LogLevel.Error, Message = "Lifecycle reconcile failed")]
    private partial void LogReconcileFailed(Exception e);
}
