using System.Threading.Channels;

namespace Vers.LocalCluster.Api.Watch;

/// <summary>
/// Fans out storage events to watchers and keeps a bounded history for watches that resume from a resourceVersion.
/// All methods are called under the store lock, so events reach every subscriber in revision order; each subscriber
/// owns an unbounded channel, so a slow reader never blocks a writer.
/// </summary>
internal sealed class WatchHub(int historyLimit, long startRevision = 0)
{
    private readonly Queue<WatchEvent> _history = new();
    private readonly List<WatchSubscription> _subscribers = [];

    // A store reopened at revision N has no history before N: older resourceVersions must get 410.
    private long _compactedRevision = startRevision;

    /// <summary>Oldest revision a watch may start from (everything after it is in the history).</summary>
    public long CompactedRevision => _compactedRevision;

    public void Publish(WatchEvent e)
    {
        _history.Enqueue(e);
        while (_history.Count > historyLimit)
        {
            _compactedRevision = _history.Dequeue().Revision;
        }

        foreach (var s in _subscribers)
        {
            if (s.Bucket is null || s.Bucket == e.Bucket)
            {
                s.Channel.Writer.TryWrite(e);
            }
        }
    }

    /// <summary>Subscribes (<paramref name="bucket"/> null: every bucket) and replays the history after <paramref name="fromRevision"/> (null: no replay).</summary>
    public WatchSubscription Subscribe(string? bucket, long? fromRevision)
    {
        var sub = new WatchSubscription(bucket, this);
        if (fromRevision is { } from)
        {
            foreach (var e in _history)
            {
                if (e.Revision > from && (bucket is null || e.Bucket == bucket))
                {
                    sub.Channel.Writer.TryWrite(e);
                }
            }
        }

        _subscribers.Add(sub);
        return sub;
    }

    internal void Remove(WatchSubscription sub) => _subscribers.Remove(sub);
}

internal sealed class WatchSubscription(string? bucket, WatchHub hub)
{
    /// <summary>The bucket watched; null for all of them.</summary>
    public string? Bucket { get; } = bucket;

    // Multi-reader mode only because the single-reader channel cannot report Count (needed for bookmarks).
    public Channel<WatchEvent> Channel { get; } = System.Threading.Channels.Channel.CreateUnbounded<WatchEvent>(
        new UnboundedChannelOptions { SingleReader = false, SingleWriter = false });

    public WatchHub Hub { get; } = hub;
}
