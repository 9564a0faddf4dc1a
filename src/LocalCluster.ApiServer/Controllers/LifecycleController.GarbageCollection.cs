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

/// <summary>The garbage collector's part: dependents of deleted owners, orphan and foreground propagation.</summary>
internal sealed partial class LifecycleController
{
    private async ValueTask CollectGarbageAsync(ResourceType type, StoredObject obj)
    {
        var refs = obj.Owners;
        if (refs.Count == 0)
        {
            return;
        }

        // An owner in the process of being deleted in the foreground still counts as present.
        var missing = refs.Where(r => !_byUid.ContainsKey(r.Uid ?? "")).ToList();
        if (missing.Count == 0)
        {
            return;
        }

        var ns = obj.Namespace;
        var name = obj.Name;
        if (missing.Count == refs.Count)
        {
            if (!obj.Terminating)
            {
                LogCollecting(type.Name.Qualified, ns, name);
                await _store.DeleteAsync(type, ns, name, new Storage.DeleteOptions(PreconditionUid: obj.Uid, PropagationPolicy: "Background"), As(ClusterUsers.GarbageCollector), _stop.Token);
            }

            return;
        }

        var missingUids = missing.Select(r => r.Uid).ToHashSet();
        await _store.UpdateAsync(type, ns, name, current =>
        {
            var kept = Meta.OwnerReferences(current!).Where(r => !missingUids.Contains(r["uid"]?.GetValue<string>())).Select(r => (JsonNode)r.DeepClone()).ToArray();
            Meta.Of(current!)["ownerReferences"] = new JsonArray(kept);
            return current!;
        }, new UpdateOptions(), As(ClusterUsers.GarbageCollector), _stop.Token);
    }

    private List<(ResourceType Type, StoredObject Object)> Dependents(StoredObject owner)
    {
        var found = new List<(ResourceType, StoredObject)>();
        if (_dependents.TryGetValue(owner.Uid, out var uids))
        {
            foreach (var uid in uids)
            {
                if (_byUid.TryGetValue(uid, out var entry) && _store.Registry.FindByStorageKey(entry.Bucket) is { } t)
                {
                    found.Add((t, entry.Object));
                }
            }
        }

        return found;
    }

    private async ValueTask OrphanAsync(ResourceType type, StoredObject owner)
    {
        var uid = owner.Uid;
        foreach (var (t, dep) in Dependents(owner))
        {
            await _store.UpdateAsync(t, dep.Namespace, dep.Name, current =>
            {
                var kept = Meta.OwnerReferences(current!).Where(r => r["uid"]?.GetValue<string>() != uid).Select(r => (JsonNode)r.DeepClone()).ToArray();
                Meta.Of(current!).Remove("ownerReferences");
                if (kept.Length > 0)
                {
                    Meta.Of(current!)["ownerReferences"] = new JsonArray(kept);
                }

                return current!;
            }, new UpdateOptions(), As(ClusterUsers.GarbageCollector), _stop.Token);
        }

        await RemoveFinalizerAsync(type, owner, "orphan", ClusterUsers.GarbageCollector);
    }

    private async ValueTask ForegroundAsync(ResourceType type, StoredObject owner)
    {
        var blocking = 0;
        foreach (var (t, dep) in Dependents(owner))
        {
            if (!dep.Terminating)
            {
                await _store.DeleteAsync(t, dep.Namespace, dep.Name, new Storage.DeleteOptions(PropagationPolicy: "Foreground"), As(ClusterUsers.GarbageCollector), _stop.Token);
            }

            if (dep.Owners.Any(r => r.Uid == owner.Uid && r.BlockOwnerDeletion))
            {
                blocking++;
            }
        }

        if (blocking == 0)
        {
            await RemoveFinalizerAsync(type, owner, "foregroundDeletion", ClusterUsers.GarbageCollector);
        }
    }
}
