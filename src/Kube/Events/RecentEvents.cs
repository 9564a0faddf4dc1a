using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace Vers.Kube.Events;

/// <summary>
/// Which events a recorder published lately, so that an identical one (same object, type, reason and note) within
/// the window is dropped. Bounded like client-go's correlator (tools/record/events_cache.go keeps an LRU of
/// <c>maxLruCacheEntries</c> = 4096): at most <see cref="Capacity"/> entries, the oldest leaving first, each a 64-bit
/// hash of the event and the time it was published, so the table holds neither the objects' uids nor the notes. After
/// thousands of objects are deleted it keeps ~100 KB, not a string per event; a hash collision (about 1 in 2^52
/// among 4096 entries) can only drop one event.
/// </summary>
internal sealed class RecentEvents(TimeSpan window, int capacity = RecentEvents.DefaultCapacity)
{
    public const int DefaultCapacity = 4096;

    private readonly Dictionary<ulong, DateTimeOffset> _published = [];
    private readonly Lock _lock = new();

    public int Capacity { get; } = capacity;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _published.Count;
            }
        }
    }

    /// <summary>
    /// True when the event should be published now (and records it as published); false when the same event was
    /// published less than the window ago.
    /// </summary>
    public bool TryRecord(string uid, string type, string reason, string note, DateTimeOffset now)
    {
        var key = Hash(uid, type, reason, note);
        lock (_lock)
        {
            ref var last = ref CollectionsMarshal.GetValueRefOrAddDefault(_published, key, out var exists);
            if (exists && now - last < window)
            {
                return false;
            }

            last = now;
            if (_published.Count > Capacity)
            {
                Shrink(now);
            }

            return true;
        }
    }

    /// <summary>
    /// Drops what has left the window and, when that is not enough, the oldest entries down to three quarters of the
    /// capacity: the next quarter of inserts then costs nothing, so the sort is paid once per Capacity/4 events.
    /// </summary>
    private void Shrink(DateTimeOffset now)
    {
        foreach (var (key, at) in _published)
        {
            if (now - at >= window)
            {
                _published.Remove(key);
            }
        }

        var keep = Capacity * 3 / 4;
        if (_published.Count > keep)
        {
            var oldestFirst = _published.OrderBy(e => e.Value).Take(_published.Count - keep).Select(e => e.Key).ToList();
            foreach (var key in oldestFirst)
            {
                _published.Remove(key);
            }
        }

        _published.TrimExcess();
    }

    private static ulong Hash(string uid, string type, string reason, string note)
    {
        var hash = new XxHash3();
        foreach (var part in (ReadOnlySpan<string>)[uid, type, reason, note])
        {
            hash.Append(MemoryMarshal.AsBytes(part.AsSpan()));
            // A separator no part contains as a whole UTF-16 unit pair, so ("ab","c") and ("a","bc") differ.
            hash.Append([0xFF, 0xFF]);
        }

        return hash.GetCurrentHashAsUInt64();
    }
}
