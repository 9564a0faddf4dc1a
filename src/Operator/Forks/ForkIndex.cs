using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using Vers.Operator.Entities;
using Vers.Operator.Runtime;

namespace Vers.Operator.Forks;

/// <summary>
/// Routes events of KubeVirt/CDI objects back to the fork that made them: by the fork-uid label
/// the operator puts on what it creates, or, for the VM a VirtualMachineClone creates (which carries
/// the source VM's labels), by the VM name recorded in the fork's status.
/// </summary>
public sealed class ForkIndex
{
    private readonly ConcurrentDictionary<string, ObjectKey> _byUid = new();
    private readonly ConcurrentDictionary<ObjectKey, ObjectKey> _byVm = new();

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

            return;
        }

        _byUid[fork.Metadata.Uid] = key;
        if (vm is { } vmKey)
        {
            _byVm[vmKey] = key;
        }
    }

    public IEnumerable<ObjectKey> ForksOf(IKubernetesObject<V1ObjectMeta> child)
    {
        if (child.Metadata.Labels is { } labels && labels.TryGetValue(VersGroup.ForkUidLabel, out var uid) && _byUid.TryGetValue(uid, out var key))
        {
            return [key];
        }

        return _byVm.TryGetValue(ObjectKey.Of(child), out var byVm) ? [byVm] : [];
    }
}
