using System.Threading.Channels;

namespace Vers.LocalCluster.ApiServer.Watch;

/// <summary>
/// Fans out storage events to watchers and keeps a bounded history (a ring of the last events, like the watch
/// cache's <c>cache</c> ring in staging/src/k8s.io/apiserver/pkg/storage/cacher/watch_cache.go) for watches that
/// resume from a resourceVersion and for lists at a past revision. All methods are called under the store lock,
/// so events reach every subscriber in revision order; each subscriber owns an unbounded channel, so a slow reader
/// never blocks a writer.
/// </summary>
/// <remarks>
/// The history holds at most <c>historyLimit</c> events and, beyond the last <see cref="FreshFor"/>, no older ones:
/// each event pins the object's state before and after it, so a full ring kept for ever would hold ten thousand old
/// versions — after a mass deletion, the last state of every deleted object — long after any watcher could want them.
/// Expired events leave when an event is published or a watch stops (calls that are never between a caller's
/// compaction check and its read of the history), so an idle server lets them go as its watches time out.
/// </remarks>
internal sealed class WatchHub
{
    /// <summary>
    /// How long an event stays in the history however few come after it: the watch cache's <c>eventFreshDuration</c>,
    /// the history kube-apiserver guarantees. A watch resuming from an older revision gets 410 and relists, as there.
    /// Informers resume from bookmarks, which this server sends every minute and before a watch times out.
    /// </summary>
    internal static readonly TimeSpan FreshFor = TimeSpan.FromSeconds(75);

    private readonly WatchEvent?[] _ring;
    private readonly long[] _publishedAt;
    private readonly TimeProvider _time;
    private readonly List<WatchSubscription> _subscribers = [];
    private readonly Dictionary<string, long> _lastRevisionOf = new(StringComparer.Ordinal);
    private readonly List<(long Revision, TaskCompletionSource Fresh)> _waiters = [];
    private int _start;
    private int _count;

    public WatchHub(int historyLimit, long startRevision = 0, TimeProvider? time = null)
    {
        _ring = new WatchEvent?[Math.Max(1, historyLimit)];
        _publishedAt = new long[_ring.Length];
        _time = time ?? TimeProvider.System;

        // A store reopened at revision N has no history before N: older resourceVersions must get 410.
        CompactedRevision = startRevision;
    }

    /// <summary>
    /// The newest revision that left the history: every event after it is still held, so a watch may start from
    /// it (or later) and a list may be served at it (or later); anything older is compacted (410).
    /// </summary>
    public long CompactedRevision { get; private set; }

    public void Publish(WatchEvent e)
    {
        if (_count == _ring.Length)
        {
            CompactedRevision = _ring[_start]!.Revision;
            _start = (_start + 1) % _ring.Length;
            _count--;
        }

        var now = _time.GetTimestamp();
        DropExpired(now);
        _ring[(_start + _count) % _ring.Length] = e;
        _publishedAt[(_start + _count) % _ring.Length] = now;
        _count++;
        _lastRevisionOf[e.Bucket] = e.Revision;

        foreach (var s in _subscribers)
        {
            if (s.Bucket is null || s.Bucket == e.Bucket)
            {
                s.Channel.Writer.TryWrite(e);
            }
        }

        if (_waiters.Count > 0)
        {
            ReleaseWaiters(e.Revision);
        }
    }

    /// <summary>Subscribes (<paramref name="bucket"/> null: every bucket) and replays the history after <paramref name="fromRevision"/> (null: no replay).</summary>
    public WatchSubscription Subscribe(string? bucket, long? fromRevision)
    {
        var sub = new WatchSubscription(bucket);
        if (fromRevision is { } from)
        {
            for (var i = FirstAfter(from); i < _count; i++)
            {
                var e = _ring[(_start + i) % _ring.Length]!;
                if (bucket is null || e.Bucket == bucket)
                {
                    sub.Channel.Writer.TryWrite(e);
                }
            }
        }

        _subscribers.Add(sub);
        return sub;
    }

    internal void Remove(WatchSubscription sub)
    {
        _subscribers.Remove(sub);
        DropExpired(_time.GetTimestamp());
    }

    /// <summary>Drops the events older than <see cref="FreshFor"/>, oldest first; their slots let go of the objects.</summary>
    private void DropExpired(long now)
    {
        while (_count > 0 && _time.GetElapsedTime(_publishedAt[_start], now) > FreshFor)
        {
            CompactedRevision = _ring[_start]!.Revision;
            _ring[_start] = null;
            _start = (_start + 1) % _ring.Length;
            _count--;
        }
    }

    /// <summary>The last revision that changed <paramref name="bucket"/> while this hub ran (0: none).</summary>
    public long LastRevisionOf(string bucket) => _lastRevisionOf.GetValueOrDefault(bucket);

    /// <summary>The bucket's events after <paramref name="revision"/>, oldest first (the caller checked it is not compacted).</summary>
    public List<WatchEvent> EventsAfter(string bucket, long revision)
    {
        var events = new List<WatchEvent>();
        for (var i = FirstAfter(revision); i < _count; i++)
        {
            var e = _ring[(_start + i) % _ring.Length]!;
            if (e.Bucket == bucket)
            {
                events.Add(e);
            }
        }

        return events;
    }

    /// <summary>
    /// A task that completes once an event at <paramref name="revision"/> or later is published (the watch cache's
    /// <c>waitUntilFreshAndBlock</c> condition variable); the caller checked the store is not there yet.
    /// </summary>
    public TaskCompletionSource WaitFor(long revision)
    {
        var fresh = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiters.Add((revision, fresh));
        return fresh;
    }

    /// <summary>Forgets a waiter that gave up (timed out or cancelled).</summary>
    public void CancelWait(TaskCompletionSource fresh) => _waiters.RemoveAll(w => w.Fresh == fresh);

    private void ReleaseWaiters(long revision)
    {
        for (var i = _waiters.Count - 1; i >= 0; i--)
        {
            if (_waiters[i].Revision <= revision)
            {
                _waiters[i].Fresh.TrySetResult();
                _waiters.RemoveAt(i);
            }
        }
    }

    /// <summary>Index (from the oldest held event) of the first event after <paramref name="revision"/>: revisions increase along the ring.</summary>
    private int FirstAfter(long revision)
    {
        int lo = 0, hi = _count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_ring[(_start + mid) % _ring.Length]!.Revision > revision)
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }

        return lo;
    }
}

internal sealed class WatchSubscription(string? bucket)
{
    /// <summary>The bucket watched; null for all of them.</summary>
    public string? Bucket { get; } = bucket;

    // Multi-reader mode only because the single-reader channel cannot report Count (needed for bookmarks).
    public Channel<WatchEvent> Channel { get; } = System.Threading.Channels.Channel.CreateUnbounded<WatchEvent>(
        new UnboundedChannelOptions { SingleReader = false, SingleWriter = false });
}
