using System.Collections.Concurrent;
using k8s;
using k8s.Models;

namespace Vers.Kube.Informers;

/// <summary>
/// Read-your-writes over an informer cache (client-go's "expectations"): after a reconciler writes an object, the
/// cached copy stays stale until the informer delivers the written version. A reconcile started on the stale copy
/// (woken by a child's event, or by the event of an earlier write) decides on old data, and its optimistic-concurrency
/// write fails with 409 and is retried after a backoff. The reconciler records the resourceVersion each write
/// returned; a reconcile whose copy is not that version yet waits for the informer instead — the event carrying the
/// write enqueues the object again. Versions are only compared for equality. An expectation lapses after
/// <c>timeout</c> (an event lost to a relist), after which the reconcile proceeds as before and at worst meets a 409.
/// </summary>
public sealed class WriteExpectations<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly ConcurrentDictionary<ObjectKey, (string ResourceVersion, DateTimeOffset Until)> _expected = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;
    private readonly ResourceInformer<T> _informer;

    public WriteExpectations(ResourceInformer<T> informer, TimeProvider? time = null, TimeSpan? timeout = null)
    {
        _informer = informer;
        _time = time ?? TimeProvider.System;
        _timeout = timeout ?? TimeSpan.FromSeconds(5);
        informer.AddHandler(Observe);
    }

    /// <summary>Only a safety net: the event that moved the cache on has enqueued the object already.</summary>
    private static readonly TimeSpan StaleCopyRetry = TimeSpan.FromSeconds(1);

    /// <summary>Records the object a write returned: the cache is stale until it shows this version.</summary>
    public void Wrote(T written)
    {
        if (written.Metadata?.ResourceVersion is { Length: > 0 } rv)
        {
            _expected[ObjectKey.Of(written)] = (rv, _time.GetUtcNow() + _timeout);
        }
    }

    /// <summary>Null when <paramref name="cached"/> reflects our last write (or none is pending); else how long to wait for it at most.</summary>
    public TimeSpan? Pending(T cached)
    {
        var key = ObjectKey.Of(cached);
        if (!_expected.TryGetValue(key, out var expected))
        {
            // The copy may have been taken just before the informer stored our write and dropped the expectation:
            // a cache that moved on since means the copy is stale; the newer version's event enqueues it again.
            return _informer.Get(key.Namespace, key.Name) is { } current && current.Metadata.ResourceVersion != cached.Metadata.ResourceVersion
                ? StaleCopyRetry
                : null;
        }

        var remaining = expected.Until - _time.GetUtcNow();
        if (expected.ResourceVersion == cached.Metadata.ResourceVersion || remaining <= TimeSpan.Zero)
        {
            _expected.TryRemove(new KeyValuePair<ObjectKey, (string, DateTimeOffset)>(key, expected));
            return null;
        }

        return remaining;
    }

    private void Observe(WatchEventType type, T obj)
    {
        var key = ObjectKey.Of(obj);
        if (_expected.TryGetValue(key, out var expected) && (type == WatchEventType.Deleted || expected.ResourceVersion == obj.Metadata.ResourceVersion))
        {
            _expected.TryRemove(new KeyValuePair<ObjectKey, (string, DateTimeOffset)>(key, expected));
        }
    }
}
