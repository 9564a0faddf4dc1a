using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Vers.LocalCluster.Api.Http;
using Vers.LocalCluster.Api.Resources;
using Vers.LocalCluster.Api.Storage;

namespace Vers.LocalCluster.Api.Controllers;

/// <summary>
/// Plays kube-controller-manager for the object lifecycle: ownerReference garbage collection (background, foreground,
/// orphan), namespace termination and CRD instance cleanup. Runs asynchronously after each write, like the real
/// controllers, so clients see the same ordering (owner gone first, dependents shortly after).
/// </summary>
internal sealed partial class LifecycleController : IAsyncDisposable
{
    private readonly ResourceStore _store;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _pending;

    public LifecycleController(ResourceStore store, ILogger logger)
    {
        _store = store;
        _logger = logger;
        store.Changed += Poke;
        _loop = Task.Run(RunAsync);
    }

    private void Poke()
    {
        if (Interlocked.Exchange(ref _pending, 1) == 0)
        {
            _signal.Release();
        }
    }

    private async Task RunAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await _signal.WaitAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            Interlocked.Exchange(ref _pending, 0);
            try
            {
                Reconcile();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogReconcileFailed(e);
            }
        }
    }

    /// <summary>One pass over all objects; every action it takes is a write, which pokes the next pass.</summary>
    internal void Reconcile()
    {
        var all = _store.Snapshot();
        var byUid = all.ToDictionary(x => Meta.Uid(x.Object), x => x);
        foreach (var (bucket, obj) in all)
        {
            var type = _store.Registry.FindByStorageKey(bucket);
            if (type is null)
            {
                continue;
            }

            Try(() => CollectGarbage(type, obj, byUid));
            if (!Meta.IsTerminating(obj))
            {
                continue;
            }

            var finalizers = Meta.Finalizers(obj);
            if (finalizers.Contains("orphan"))
            {
                Try(() => Orphan(type, obj, all));
            }
            else if (finalizers.Contains("foregroundDeletion"))
            {
                Try(() => Foreground(type, obj, all));
            }

            if (type.Builtin == BuiltinKind.Namespace)
            {
                Try(() => FinalizeNamespace(type, obj, all));
            }
            else if (type.Builtin == BuiltinKind.CustomResourceDefinition && finalizers.Contains(CrdStrategy.CleanupFinalizer))
            {
                Try(() => CleanupCrd(type, obj));
            }
        }
    }

    private void Try(Action action)
    {
        try
        {
            action();
        }
        catch (ApiException e) when (e.Code is 404 or 409)
        {
            // Changed concurrently; the write that changed it triggers another pass.
        }
    }

    private void CollectGarbage(ResourceType type, JsonObject obj, Dictionary<string, (string Bucket, JsonObject Object)> byUid)
    {
        var refs = Meta.OwnerReferences(obj).ToList();
        if (refs.Count == 0)
        {
            return;
        }

        // An owner in the process of being deleted in the foreground still counts as present.
        var missing = refs.Where(r => !byUid.ContainsKey(r["uid"]?.GetValue<string>() ?? "")).ToList();
        if (missing.Count == 0)
        {
            return;
        }

        var ns = Meta.Namespace(obj);
        var name = Meta.Name(obj);
        if (missing.Count == refs.Count)
        {
            if (!Meta.IsTerminating(obj))
            {
                LogCollecting(type.Name.Qualified, ns, name);
                _store.Delete(type, ns, name, new Storage.DeleteOptions(PreconditionUid: Meta.Uid(obj), PropagationPolicy: "Background"));
            }

            return;
        }

        var missingUids = missing.Select(r => r["uid"]?.GetValue<string>()).ToHashSet();
        _store.Update(type, ns, name, current =>
        {
            var kept = Meta.OwnerReferences(current!).Where(r => !missingUids.Contains(r["uid"]?.GetValue<string>())).Select(r => (JsonNode)r.DeepClone()).ToArray();
            Meta.Of(current!)["ownerReferences"] = new JsonArray(kept);
            return current!;
        }, new UpdateOptions());
    }

    private IEnumerable<(ResourceType Type, JsonObject Object)> Dependents(JsonObject owner, List<(string Bucket, JsonObject Object)> all)
    {
        var uid = Meta.Uid(owner);
        foreach (var (bucket, obj) in all)
        {
            if (Meta.OwnerReferences(obj).Any(r => r["uid"]?.GetValue<string>() == uid) && _store.Registry.FindByStorageKey(bucket) is { } t)
            {
                yield return (t, obj);
            }
        }
    }

    private void Orphan(ResourceType type, JsonObject owner, List<(string Bucket, JsonObject Object)> all)
    {
        var uid = Meta.Uid(owner);
        foreach (var (t, dep) in Dependents(owner, all))
        {
            _store.Update(t, Meta.Namespace(dep), Meta.Name(dep), current =>
            {
                var kept = Meta.OwnerReferences(current!).Where(r => r["uid"]?.GetValue<string>() != uid).Select(r => (JsonNode)r.DeepClone()).ToArray();
                Meta.Of(current!).Remove("ownerReferences");
                if (kept.Length > 0)
                {
                    Meta.Of(current!)["ownerReferences"] = new JsonArray(kept);
                }

                return current!;
            }, new UpdateOptions());
        }

        RemoveFinalizer(type, owner, "orphan");
    }

    private void Foreground(ResourceType type, JsonObject owner, List<(string Bucket, JsonObject Object)> all)
    {
        var blocking = 0;
        foreach (var (t, dep) in Dependents(owner, all))
        {
            if (!Meta.IsTerminating(dep))
            {
                _store.Delete(t, Meta.Namespace(dep), Meta.Name(dep), new Storage.DeleteOptions(PropagationPolicy: "Foreground"));
            }

            if (Meta.OwnerReferences(dep).Any(r => r["uid"]?.GetValue<string>() == Meta.Uid(owner) && r["blockOwnerDeletion"]?.GetValue<bool>() == true))
            {
                blocking++;
            }
        }

        if (blocking == 0)
        {
            RemoveFinalizer(type, owner, "foregroundDeletion");
        }
    }

    private void FinalizeNamespace(ResourceType type, JsonObject ns, List<(string Bucket, JsonObject Object)> all)
    {
        var name = Meta.Name(ns);
        var remaining = 0;
        foreach (var (bucket, obj) in all)
        {
            if (Meta.Namespace(obj) != name || _store.Registry.FindByStorageKey(bucket) is not { Namespaced: true } t)
            {
                continue;
            }

            remaining++;
            if (!Meta.IsTerminating(obj))
            {
                _store.Delete(t, name, Meta.Name(obj), new Storage.DeleteOptions(PropagationPolicy: "Background"));
            }
        }

        if (remaining == 0 && ns["spec"]?["finalizers"] is JsonArray { Count: > 0 })
        {
            _store.Update(type, "", name, current =>
            {
                current!["spec"] = new JsonObject();
                return current;
            }, new UpdateOptions(NamespaceFinalize: true));
        }
    }

    private void CleanupCrd(ResourceType crdType, JsonObject crd)
    {
        var served = ResourceRegistry.FromCrd(crd);
        var current = _store.Registry.FindByStorageKey(served.StorageKey) ?? served;
        var (items, _) = _store.List(current, null, _ => true);
        foreach (var item in items.Where(i => !Meta.IsTerminating(i)))
        {
            _store.Delete(current, Meta.Namespace(item), Meta.Name(item), new Storage.DeleteOptions(PropagationPolicy: "Background"));
        }

        if (items.Count == 0)
        {
            RemoveFinalizer(crdType, crd, CrdStrategy.CleanupFinalizer);
        }
    }

    private void RemoveFinalizer(ResourceType type, JsonObject obj, string finalizer) =>
        _store.Update(type, Meta.Namespace(obj), Meta.Name(obj), current =>
        {
            Meta.SetFinalizers(current!, [.. Meta.Finalizers(current!).Where(f => f != finalizer)]);
            return current!;
        }, new UpdateOptions());

    public async ValueTask DisposeAsync()
    {
        _store.Changed -= Poke;
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }

        _stop.Dispose();
        _signal.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Garbage collecting {Resource} {Namespace}/{Name}: all owners are gone")]
    private partial void LogCollecting(string resource, string @namespace, string name);

    [LoggerMessage(Level = LogLevel.Error, Message = "Lifecycle reconcile failed")]
    private partial void LogReconcileFailed(Exception e);
}
