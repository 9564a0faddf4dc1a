using Vers.LocalCluster.ApiServer.Http;
using Vers.LocalCluster.ApiServer.Resources;
using Vers.LocalCluster.ApiServer.Watch;

namespace Vers.LocalCluster.ApiServer.Storage;

/// <summary>How a read at a past revision went (etcd answers a compacted or a future revision with an error).</summary>
internal enum RevisionRead
{
    Served,
    Compacted,
    Future,
}

/// <summary>A started watch: its subscription, the objects for its initial ADDED events, and the revision it starts at.</summary>
internal sealed record WatchStart(WatchSubscription Subscription, List<StoredObject> Initial, long Revision);

/// <summary>Lists (current, at a past revision, or once fresh enough) and watches.</summary>
internal sealed partial class ResourceStore
{
    /// <summary>How long a read waits for a resourceVersion the store has not reached (watch_cache.go <c>blockTimeout</c>).</summary>
    private static readonly TimeSpan BlockTimeout = TimeSpan.FromSeconds(3);

    /// <summary>The objects of a bucket (in etcd key order) and the revision of the list; the filter runs outside the lock.</summary>
    public (List<StoredObject> Items, long Revision) List(ResourceType type, string? ns, Func<StoredObject, bool> filter)
    {
        var (all, revision) = Snapshot(type, ns);
        all.RemoveAll(o => !filter(o));
        return (all, revision);
    }

    /// <summary>Every object of a bucket (in one namespace when <paramref name="ns"/> is set), unfiltered, and the current revision.</summary>
    public (List<StoredObject> Items, long Revision) Snapshot(ResourceType type, string? ns)
    {
        lock (_view)
        {
            return ([.. _objects.List(type.StorageKey, ns)], _objects.Revision);
        }
    }

    /// <summary>
    /// The objects of a bucket as they were at <paramref name="revision"/>, as etcd serves a range read at a past
    /// revision (etcd3 store.go GetList with <c>withRev</c>): the current objects with the bucket's later events
    /// undone. A revision older than the history is compacted; one newer than the store is in the future.
    /// </summary>
    public (List<StoredObject> Items, RevisionRead Result) ListAt(ResourceType type, string? ns, long revision)
    {
        List<StoredObject> current;
        List<WatchEvent> later;
        lock (_view)
        {
            if (revision > _objects.Revision)
            {
                return ([], RevisionRead.Future);
            }

            if (revision < _hub.CompactedRevision)
            {
                return ([], RevisionRead.Compacted);
            }

            current = [.. _objects.List(type.StorageKey, ns)];
            later = _hub.LastRevisionOf(type.StorageKey) > revision ? _hub.EventsAfter(type.StorageKey, revision) : [];
        }

        if (later.Count == 0)
        {
            return (current, RevisionRead.Served);
        }

        var state = new SortedDictionary<(string Ns, string Name), StoredObject>(InMemoryObjectStore.KeyComparer.Instance);
        foreach (var o in current)
        {
            state[(o.Namespace, o.Name)] = o;
        }

        for (var i = later.Count - 1; i >= 0; i--)
        {
            var e = later[i];
            if (ns is not null && e.Object.Namespace != ns)
            {
                continue;
            }

            // Undo: an ADDED object did not exist yet; a modified or deleted one was its previous state.
            if (e.Previous is { } previous)
            {
                state[(previous.Namespace, previous.Name)] = previous;
            }
            else
            {
                state.Remove((e.Object.Namespace, e.Object.Name));
            }
        }

        return ([.. state.Values], RevisionRead.Served);
    }

    /// <summary>
    /// Waits until the store has reached <paramref name="revision"/>, at most <see cref="BlockTimeout"/>, then fails
    /// with the 504 "Too large resource version" (watch_cache.go <c>waitUntilFreshAndBlock</c>).
    /// </summary>
    public async Task WaitUntilFreshAsync(long revision, CancellationToken ct)
    {
        TaskCompletionSource fresh;
        lock (_view)
        {
            if (_objects.Revision >= revision)
            {
                return;
            }

            fresh = _hub.WaitFor(revision);
        }

        try
        {
            await fresh.Task.WaitAsync(BlockTimeout, _time, ct);
        }
        catch (TimeoutException)
        {
            throw ApiException.TooLargeResourceVersion(revision, Revision);
        }
        finally
        {
            if (!fresh.Task.IsCompleted)
            {
                lock (_view)
                {
                    _hub.CancelWait(fresh);
                }
            }
        }
    }

    /// <summary>
    /// Starts a watch of a bucket, atomically with reading what it starts from: with <paramref name="initialState"/>
    /// the current objects (for synthetic ADDED events); with <paramref name="fromRevision"/> the history after it
    /// is replayed into the subscription, or, when that history is compacted, the watch cache's 410 (watch_cache.go
    /// <c>getAllEventsSinceLocked</c>: "too old resource version: requested (oldest available - 1)").
    /// </summary>
    public WatchStart StartWatch(ResourceType type, long? fromRevision, bool initialState)
    {
        lock (_view)
        {
            if (fromRevision is { } from && from < _hub.CompactedRevision)
            {
                throw ApiException.Gone($"too old resource version: {from} ({_hub.CompactedRevision})");
            }

            List<StoredObject> initial = initialState ? [.. _objects.List(type.StorageKey, null)] : [];
            return new WatchStart(_hub.Subscribe(type.StorageKey, fromRevision), initial, _objects.Revision);
        }
    }

    /// <summary>Starts a watch: with no start revision the current objects are returned for synthetic ADDED events.</summary>
    public (WatchSubscription Subscription, List<StoredObject> Initial) StartWatch(ResourceType type, long? fromRevision)
    {
        var start = StartWatch(type, fromRevision, initialState: fromRevision is null);
        return (start.Subscription, start.Initial);
    }

    /// <summary>Subscribes to every bucket and returns, atomically with it, every stored object.</summary>
    public (WatchSubscription Subscription, List<(string Bucket, StoredObject Object)> Current) WatchAll()
    {
        lock (_view)
        {
            List<(string, StoredObject)> current = [.. _objects.Buckets.ToList().SelectMany(b => _objects.List(b, null).Select(o => (b, o)))];
            return (_hub.Subscribe(null, null), current);
        }
    }

    public void StopWatch(WatchSubscription subscription)
    {
        lock (_view)
        {
            _hub.Remove(subscription);
        }

        subscription.Channel.Writer.TryComplete();
    }
}
