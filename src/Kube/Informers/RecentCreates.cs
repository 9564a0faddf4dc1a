using System.Collections.Concurrent;
using k8s;
using k8s.Models;

namespace Vers.Kube.Informers;

/// <summary>
/// Read-your-creates over an informer cache: objects this process created, kept only until the informer has seen
/// them (any event for the key drops the entry, a deletion included). A reconcile woken before the informer caught up
/// with its own create then finds the object instead of creating it again, meeting AlreadyExists and reading it back.
/// An entry whose event never comes (lost to a relist) lapses after <c>timeout</c>.
/// </summary>
public sealed class RecentCreates<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly ResourceInformer<T> _informer;
    private readonly ConcurrentDictionary<ObjectKey, (T Object, DateTimeOffset Until)> _created = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;

    public RecentCreates(ResourceInformer<T> informer, TimeProvider? time = null, TimeSpan? timeout = null)
    {
        _informer = informer;
        _time = time ?? TimeProvider.System;
        _timeout = timeout ?? TimeSpan.FromSeconds(30);
        informer.AddHandler((type, obj) => _created.TryRemove(ObjectKey.Of(obj), out var dropped));
    }

    /// <summary>The cached object, else one we created that the informer has not delivered yet. Shared: never mutate it.</summary>
    public T? Get(string ns, string name)
    {
        if (_informer.Get(ns, name) is { } cached)
        {
            return cached;
        }

        var key = new ObjectKey(ns, name);
        if (!_created.TryGetValue(key, out var entry))
        {
            return null;
        }

        if (entry.Until > _time.GetUtcNow())
        {
            return entry.Object;
        }

        _created.TryRemove(new KeyValuePair<ObjectKey, (T, DateTimeOffset)>(key, entry));
        return null;
    }

    /// <summary>Records an object a create returned (or an adopt read back).</summary>
    public void Created(T obj)
    {
        var now = _time.GetUtcNow();
        if (_created.Count > 1024)
        {
            foreach (var (key, entry) in _created)
            {
                if (entry.Until <= now)
                {
                    _created.TryRemove(new KeyValuePair<ObjectKey, (T, DateTimeOffset)>(key, entry));
                }
            }
        }

        // Only until the informer delivers it: if that already happened, the handler ran and the cache has it.
        if (_informer.Get(obj.Metadata.NamespaceProperty, obj.Metadata.Name) is null)
        {
            _created[ObjectKey.Of(obj)] = (obj, now + _timeout);
        }
    }
}
