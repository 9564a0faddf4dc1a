using System.Collections.Concurrent;
using System.Globalization;
using k8s;
using k8s.Models;

namespace Vers.Kube.Informers;

/// <summary>
/// Read-your-writes over one informer cache: the one rule by which this runtime's controllers see their own writes
/// before the watch brings them back.
/// <para>
/// <b>What is remembered, until when.</b> The object each create, update or patch of ours returned (or a read from the
/// server, e.g. an object adopted after AlreadyExists): <see cref="Wrote"/>. It is forgotten as soon as the informer
/// delivers that version, a later one or the object's deletion (an event that beat the response included), when a
/// read finds the cache caught up, or after <see cref="Timeout"/>. Until then reads answer the newest version known,
/// the cache's or our own write:
/// <see cref="Get"/> and <see cref="Newest"/> for a pass that follows our own write (a child the cache does not show
/// yet, the status we just wrote), which acts on what the server holds instead of creating twice or writing the same
/// status again; <see cref="Stale"/> for a reconcile handed an older copy, which waits for the informer instead of
/// deciding on old data and meeting a 409 — client-go's controller expectations, which count the adds and deletes
/// the informer has yet to show and lapse after five minutes; here the objects themselves are kept, so that reads can
/// answer with them, and they lapse sooner.
/// </para>
/// <para>
/// <b>Why it is safe.</b> A write's answer is what the server held at that moment, so no earlier version is newer; and
/// versions are compared by one rule (<see cref="Compare"/>): numeric resourceVersions, as on etcd and the local API
/// server, as numbers, any others only for equality, which holds while the watch delivers versions in order. A
/// remembered copy gives way to the cache once the cache knows as much; only an event that never comes (an object
/// created and deleted before our create's answer was recorded) leaves one behind, and the timeout bounds that. In
/// memory only: after a restart the cache is all there is.
/// </para>
/// <para>
/// <b>Copies.</b> What is remembered is a private deep copy, marked shared as the informer's cached objects are: a
/// writer keeps changing the object its write returned, and a <see cref="GenericObject"/>'s field tree must never be
/// shared by concurrent readers (a <c>JsonObject</c> builds its members on first read, unsafely). <see cref="Get"/>
/// answers like the cache (shared: never mutate it), <see cref="Newest"/> like a controller handing out work (a
/// private copy).
/// </para>
/// </summary>
public sealed class ReadYourWrites<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    /// <summary>
    /// How long our own write is remembered at most. Longer than an informer lags under load (a broken watch is
    /// retried within <see cref="InformerOptions.MaxBackoff"/>, 30 s by default), so a slow watch never costs a
    /// duplicate write; short enough that a copy whose event never comes misleads for half a minute, well inside any
    /// step's budget.
    /// </summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Only a safety net: the event that moved the cache past a copy has enqueued its object already.</summary>
    private static readonly TimeSpan CacheMovedOnRetry = TimeSpan.FromSeconds(1);

    /// <summary>A sweep of lapsed entries every so many writes: an object deleted before its write was recorded is never read again.</summary>
    private const int SweepEvery = 256;

    private readonly ConcurrentDictionary<ObjectKey, Held> _held = new();
    private readonly ResourceInformer<T> _informer;
    private readonly TimeProvider _time;
    private long _writes;

    public ReadYourWrites(ResourceInformer<T> informer, TimeProvider? time = null)
    {
        _informer = informer;
        _time = time ?? TimeProvider.System;
        informer.AddHandler(Observe);
    }

    /// <summary>Objects whose own write the cache does not show yet (or not known to, until read or swept).</summary>
    internal int Count => _held.Count;

    /// <summary>Records the object a write returned (or a read from the server): reads answer it until the cache shows as much.</summary>
    public void Wrote(T written)
    {
        if (written.Metadata?.ResourceVersion is not { Length: > 0 })
        {
            return;
        }

        var key = KeyOf(written.Metadata.NamespaceProperty, written.Metadata.Name);
        var terminating = written.Metadata.DeletionTimestamp is not null;
        var cached = _informer.Get(key.Namespace, key.Name);
        if (cached is null && terminating)
        {
            // The write removed its last finalizer and the DELETED event beat the response. Held, the copy would make
            // the object look alive, with no event left to correct it.
            _held.TryRemove(key, out _);
            return;
        }

        if (cached is not null && !Older(cached, written))
        {
            // The event beat the response.
            return;
        }

        var copy = KubeJson.DeepCopy(written);
        (copy as GenericObject)?.MarkShared();
        var entry = new Held(copy, _time.GetUtcNow() + Timeout);
        _held.AddOrUpdate(key, entry, (_, held) => Older(held.Object, copy) ? entry : held);

        // Either event may have come between the checks above and the entry: the informer updates its cache before
        // its handlers run, so either Observe saw the entry or the cache shows the event now.
        cached = _informer.Get(key.Namespace, key.Name);
        if (cached is null ? terminating : !Older(cached, copy))
        {
            _held.TryRemove(KeyValuePair.Create(key, entry));
        }

        if (Interlocked.Increment(ref _writes) % SweepEvery == 0)
        {
            Sweep();
        }
    }

    /// <summary>The object as last known: our own write while the cache trails it, else the cached one. Shared: never mutate it.</summary>
    public T? Get(string? ns, string name)
    {
        var key = KeyOf(ns, name);
        var cached = _informer.Get(ns, name);
        return Ahead(key, cached)?.Object ?? cached;
    }

    /// <summary><paramref name="copy"/>, or a private copy of a later version: the cache's, or our own write.</summary>
    public T Newest(T copy)
    {
        var newest = Get(copy.Metadata.NamespaceProperty, copy.Metadata.Name);
        return newest is not null && Older(copy, newest) ? KubeJson.DeepCopy(newest) : copy;
    }

    /// <summary>
    /// Null when <paramref name="copy"/> is the newest version known; else how long to wait at most for the informer
    /// to deliver the newer one (whose event enqueues the object again).
    /// </summary>
    public TimeSpan? Stale(T copy)
    {
        var key = KeyOf(copy.Metadata.NamespaceProperty, copy.Metadata.Name);
        var cached = _informer.Get(key.Namespace, key.Name);
        if (Ahead(key, cached) is { } held && Older(copy, held.Object))
        {
            return held.Until - _time.GetUtcNow();
        }

        // The copy may have been taken just before the informer stored our write and dropped the entry.
        return cached is not null && Older(copy, cached) ? CacheMovedOnRetry : null;
    }

    /// <summary>
    /// Orders two versions of one object: numeric resourceVersions (etcd's, the local API server's) as numbers; others
    /// are opaque, and only equality is known. Null when they cannot be ordered.
    /// </summary>
    internal static int? Compare(T a, T b)
    {
        var ra = a.Metadata.ResourceVersion;
        var rb = b.Metadata.ResourceVersion;
        if (ulong.TryParse(ra, NumberStyles.None, CultureInfo.InvariantCulture, out var na)
            && ulong.TryParse(rb, NumberStyles.None, CultureInfo.InvariantCulture, out var nb))
        {
            return na.CompareTo(nb);
        }

        return string.Equals(ra, rb, StringComparison.Ordinal) ? 0 : null;
    }

    /// <summary>Whether <paramref name="a"/> is older than <paramref name="b"/>; versions that cannot be ordered count as older unless equal.</summary>
    private static bool Older(T a, T b) => Compare(a, b) is null or < 0;

    /// <summary>The entry while it is newer than the cache's copy and not lapsed; dropped otherwise (the cache is the truth again).</summary>
    private Held? Ahead(ObjectKey key, T? cached)
    {
        if (!_held.TryGetValue(key, out var held))
        {
            return null;
        }

        if (_time.GetUtcNow() < held.Until && (cached is null || Older(cached, held.Object)))
        {
            return held;
        }

        _held.TryRemove(KeyValuePair.Create(key, held));
        return null;
    }

    private void Observe(WatchEventType type, T obj)
    {
        var key = KeyOf(obj.Metadata.NamespaceProperty, obj.Metadata.Name);
        if (!_held.TryGetValue(key, out var held))
        {
            return;
        }

        // A deletion ends every version but those of a later object of that name (one we created after it).
        var delivered = type == WatchEventType.Deleted ? Compare(obj, held.Object) is not < 0 : !Older(obj, held.Object);
        if (delivered)
        {
            _held.TryRemove(KeyValuePair.Create(key, held));
        }
    }

    private void Sweep()
    {
        var now = _time.GetUtcNow();
        foreach (var entry in _held)
        {
            if (entry.Value.Until <= now)
            {
                _held.TryRemove(entry);
            }
        }
    }

    private ObjectKey KeyOf(string? ns, string name) => new(_informer.Type.Namespaced ? ns : null, name);

    /// <summary>A class, so that removing an entry compares it by reference.</summary>
    private sealed class Held(T obj, DateTimeOffset until)
    {
        public T Object { get; } = obj;

        public DateTimeOffset Until { get; } = until;
    }
}
