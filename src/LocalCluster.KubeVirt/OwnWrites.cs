using System.Collections.Concurrent;
using System.Globalization;
using k8s;
using Vers.Kube;
using Vers.Kube.Informers;

namespace Vers.LocalCluster.KubeVirt;

/// <summary>
/// Read-your-writes over one informer cache, shared by every simulated controller: the object the simulator's
/// last write to a key returned, until the informer delivers that version. A step that follows our own write
/// (the VM after its DataVolume, the clone after its snapshot, the next status of the same object) then acts on
/// what the server holds instead of waiting a watch round trip for it. In memory only: after a restart the
/// cache is all there is, and every step is derived from it again.
/// </summary>
internal sealed class OwnWrites
{
    private readonly ConcurrentDictionary<ObjectKey, (GenericObject Written, DateTimeOffset Until)> _written = new();
    private readonly ResourceInformer<GenericObject> _informer;
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;
    private long _writes;

    public OwnWrites(ResourceInformer<GenericObject> informer, TimeProvider time, TimeSpan? timeout = null)
    {
        _informer = informer;
        _time = time;
        // Lapses like WriteExpectations: an event lost to a relist must not pin an old copy forever.
        _timeout = timeout ?? TimeSpan.FromSeconds(5);
        informer.AddHandler(Observe);
    }

    /// <summary>Copies held: objects whose last write the informer has not delivered yet.</summary>
    public int Count => _written.Count;

    /// <summary>Records the object a write returned.</summary>
    public void Wrote(GenericObject written)
    {
        if (written.Metadata?.ResourceVersion is not { Length: > 0 }) return;
        // A private copy that nobody reads: copies of it share its unparsed fields, and concurrent readers never
        // share a node tree (JsonObject is not safe for concurrent first reads).
        written = KubeJson.DeepCopy(written);
        var key = ObjectKey.Of(written);

        // A write to a terminating object the cache no longer holds: the write removed its last finalizer and its
        // DELETED event beat the response. A copy kept now would make it look alive until it lapsed, with no event
        // left to wake anyone (a VolumeSnapshot waiting for its content to go kept its finalizers for ever).
        if (written.Metadata.DeletionTimestamp is not null && _informer.Get(key.Namespace, key.Name) is null)
        {
            _written.TryRemove(key, out _);
            return;
        }

        var entry = (written, _time.GetUtcNow() + _timeout);
        _written.AddOrUpdate(key, entry, (_, held) => Older(held.Written, written) ? entry : held);
        // The event may have beaten the response: the informer updates its cache before its handlers run, so
        // either Observe saw the entry or the cache shows the version now — or, for a terminating object whose
        // DELETED event arrived between the check above and the entry, no longer holds it.
        var now = _informer.Get(key.Namespace, key.Name);
        if ((now is not null && !Older(now, written)) || (now is null && written.Metadata.DeletionTimestamp is not null))
        {
            _written.TryRemove(new KeyValuePair<ObjectKey, (GenericObject, DateTimeOffset)>(key, entry));
        }
        if (Interlocked.Increment(ref _writes) % 256 == 0) Prune();
    }

    /// <summary>Drops lapsed copies nobody asked for again (an object deleted before its write was recorded).</summary>
    private void Prune()
    {
        var now = _time.GetUtcNow();
        foreach (var held in _written)
        {
            if (held.Value.Until <= now) _written.TryRemove(held);
        }
    }

    /// <summary>The newest copy we know of: (a copy of) our own last write while the cache trails it, else the cached object.</summary>
    public GenericObject? Get(string? ns, string name) => Newest(new ObjectKey(ns, name), _informer.Get(ns, name));

    /// <summary><paramref name="copy"/>, or a copy of our own later write to that object.</summary>
    public GenericObject Newest(GenericObject copy) => Newest(ObjectKey.Of(copy), copy)!;

    private GenericObject? Newest(ObjectKey key, GenericObject? cached)
    {
        if (!_written.TryGetValue(key, out var held)) return cached;
        var fresh = _time.GetUtcNow() < held.Until;
        if (fresh && (cached is null || Older(cached, held.Written))) return KubeJson.DeepCopy(held.Written);
        // Caught up (or lapsed): the cache is the truth again.
        if (!fresh || cached is not null) _written.TryRemove(new KeyValuePair<ObjectKey, (GenericObject, DateTimeOffset)>(key, held));
        return cached;
    }

    private void Observe(WatchEventType type, GenericObject obj)
    {
        var key = ObjectKey.Of(obj);
        if (_written.TryGetValue(key, out var held) && (type == WatchEventType.Deleted || !Older(obj, held.Written)))
        {
            _written.TryRemove(new KeyValuePair<ObjectKey, (GenericObject, DateTimeOffset)>(key, held));
        }
    }

    /// <summary>
    /// Whether <paramref name="a"/> is an older version than <paramref name="b"/>. resourceVersions are opaque in
    /// general but numeric on etcd and on the local API server; a non-numeric pair counts as older unless equal,
    /// which holds while the watch delivers versions in order.
    /// </summary>
    private static bool Older(GenericObject a, GenericObject b)
    {
        var ra = a.Metadata.ResourceVersion;
        var rb = b.Metadata.ResourceVersion;
        if (ulong.TryParse(ra, NumberStyles.None, CultureInfo.InvariantCulture, out var na)
            && ulong.TryParse(rb, NumberStyles.None, CultureInfo.InvariantCulture, out var nb))
        {
            return na < nb;
        }
        return !string.Equals(ra, rb, StringComparison.Ordinal);
    }
}
