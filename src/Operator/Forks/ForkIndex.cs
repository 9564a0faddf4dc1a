using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using Vers.Api;
using Vers.Kube;

namespace Vers.Operator.Forks;

/// <summary>
/// Routes events of KubeVirt/CDI objects back to the forks they concern: by the fork-uid label the operator puts on
/// what it creates; for the VM a VirtualMachineClone creates (which carries the source VM's labels), by the VM name
/// recorded in the fork's status; and for a source commit's VirtualMachineSnapshot, to every fork still copying it (a
/// source that goes away must fail them at once, <see cref="SourceGuard"/>).
/// </summary>
public sealed class ForkIndex
{
    private readonly ConcurrentDictionary<string, ObjectKey> _byUid = new();
    private readonly ConcurrentDictionary<ObjectKey, ObjectKey> _byVm = new();
    private readonly ConcurrentDictionary<ObjectKey, ConcurrentDictionary<ObjectKey, bool>> _bySource = new();
    private readonly ConcurrentDictionary<ObjectKey, ObjectKey> _sourceOf = new();

    public void Update(WatchEventType type, RepositoryFork fork)
    {
        var key = ObjectKey.Of(fork);
        var vm = fork.Status?.VmId is { } vmId ? new ObjectKey(fork.Metadata.NamespaceProperty, vmId) : (ObjectKey?)null;
        if (type == WatchEventType.Deleted)
        {
            _byUid.TryRemove(fork.Metadata.Uid, out _);
            if (vm is { } v)
            {
                _byVm.TryRemove(v, out _);
            }

            Unwatch(key);
            return;
        }

        _byUid[fork.Metadata.Uid] = key;
        if (vm is { } vmKey)
        {
            _byVm[vmKey] = key;
        }

        if (fork.Status is { Phase: ForkPhase.Running, Resolved: { Namespace: { } sourceNs, Snapshot: { } snapshot } })
        {
            var source = new ObjectKey(sourceNs, snapshot);
            _sourceOf[key] = source;
            _bySource.GetOrAdd(source, _ => new ConcurrentDictionary<ObjectKey, bool>())[key] = true;
        }
        else
        {
            Unwatch(key);
        }
    }

    /// <summary>The fork with this uid, if the informer has seen it.</summary>
    public ObjectKey? ForkWithUid(string uid) => _byUid.TryGetValue(uid, out var key) ? key : null;

    public IEnumerable<ObjectKey> ForksOf(IKubernetesObject<V1ObjectMeta> child)
    {
        if (child.Metadata.Labels is { } labels && labels.TryGetValue(VersGroup.ForkUidLabel, out var uid) && _byUid.TryGetValue(uid, out var key))
        {
            return [key];
        }

        var childKey = ObjectKey.Of(child);
        if (_bySource.TryGetValue(childKey, out var forks))
        {
            return [.. forks.Keys];
        }

        return _byVm.TryGetValue(childKey, out var byVm) ? [byVm] : [];
    }

    private void Unwatch(ObjectKey fork)
    {
        if (_sourceOf.TryRemove(fork, out var source) && _bySource.TryGetValue(source, out var forks))
        {
            forks.TryRemove(fork, out _);
            if (forks.IsEmpty)
            {
                _bySource.TryRemove(new KeyValuePair<ObjectKey, ConcurrentDictionary<ObjectKey, bool>>(source, forks));
            }
        }
    }
}
