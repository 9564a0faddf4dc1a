using Microsoft.Extensions.Logging;

namespace Vers.LocalCluster.ApiServer.Storage;

/// <summary>
/// Packing of cold JSON (<see cref="JsonPacker"/>). A committed object stays as written while it is hot: its watch events
/// are written to every watcher, and the writer's controllers read it back, right after the commit. It is packed once
/// it is <see cref="PackAfter"/> old, by whichever writer finishes next (outside the writer lock, one at a time; a
/// writer that finds another packing goes on), so packing never delays a commit. When the store goes quiet, its last
/// seconds of writes would stay hot, and hold the last states of objects since deleted (thousands after a namespace
/// deletion): a one-shot timer, armed only while objects wait to cool, packs them and lets the deleted ones go. Objects
/// read from disk are packed as they load.
/// </summary>
internal sealed partial class ResourceStore
{
    /// <summary>How long a committed object stays as written.</summary>
    internal static readonly TimeSpan PackAfter = TimeSpan.FromSeconds(2);

    /// <summary>At most this many objects are packed after one write, so no request pays for a long backlog.</summary>
    private const int PackBatch = 64;

    /// <summary>The cooling timer never fires sooner than this after it is armed (a backlog past the batch is already cold).</summary>
    private static readonly TimeSpan MinCoolingDelay = TimeSpan.FromMilliseconds(100);

    private readonly JsonPacker _packer = new();
    private readonly Lock _packing = new();
    // A plain queue under its own lock, not a ConcurrentQueue: peeking marks a ConcurrentQueue segment "preserved for
    // observation", after which its dequeued slots are no longer cleared, so the segment (up to 1M slots) would keep
    // every object version written since alive.
    private readonly Queue<(StoredObject Object, string Bucket, DateTimeOffset At)> _hot = new();
    private readonly Lock _hotLock = new();
    private readonly List<(StoredObject Object, string Bucket)> _cold = new(PackBatch); // reused under _packing
    private ITimer? _cooling;

    /// <summary>Bytes of JSON packed so far and what they packed to.</summary>
    public (long Raw, long Packed) PackedTotals
    {
        get
        {
            lock (_packing)
            {
                return _packer.Totals;
            }
        }
    }

    /// <summary>Packs every object loaded from storage (they are cold).</summary>
    private void PackLoaded()
    {
        lock (_packing)
        {
            foreach (var bucket in _objects.Buckets)
            {
                foreach (var stored in _objects.List(bucket, null))
                {
                    stored.Pack(_packer, bucket);
                }
            }
        }
    }

    /// <summary>Marks a committed object hot: it is packed after <see cref="PackAfter"/>.</summary>
    private void Committed(string bucket, StoredObject stored)
    {
        lock (_hotLock)
        {
            _hot.Enqueue((stored, bucket, _time.GetUtcNow()));
        }
    }

    /// <summary>
    /// Takes up to <paramref name="limit"/> objects committed before <paramref name="cold"/> off the queue into
    /// <paramref name="into"/>, in one hold of the lock; returns when the oldest object left was committed (null: none).
    /// </summary>
    private DateTimeOffset? TakeCold(DateTimeOffset cold, int limit, List<(StoredObject Object, string Bucket)> into)
    {
        lock (_hotLock)
        {
            while (into.Count < limit && _hot.TryPeek(out var next) && next.At <= cold)
            {
                _hot.Dequeue();
                into.Add((next.Object, next.Bucket));
            }

            return _hot.TryPeek(out var first) ? first.At : null;
        }
    }

    /// <summary>
    /// Packs up to <paramref name="limit"/> objects that have cooled down, unless another writer is at it; arms the
    /// cooling timer for the rest.
    /// </summary>
    private void PackCold(int limit = PackBatch)
    {
        // Read without the lock: a writer always sees its own enqueue, and a stale zero only leaves the work to the
        // next writer or the cooling timer.
        if (_hot.Count == 0 || !_packing.TryEnter())
        {
            return;
        }

        try
        {
            var now = _time.GetUtcNow();
            var oldest = TakeCold(now - PackAfter, limit, _cold);
            foreach (var (stored, bucket) in _cold)
            {
                stored.Pack(_packer, bucket);
            }

            if (_cooling is null && oldest is { } at)
            {
                // Assigned before it is started, so a callback that runs at once finds it.
                _cooling = _time.CreateTimer(_ => Cooled(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                var due = at + PackAfter - now;
                _cooling.Change(due > MinCoolingDelay ? due : MinCoolingDelay, Timeout.InfiniteTimeSpan);
            }
        }
        finally
        {
            _cold.Clear();
            _packing.Exit();
        }
    }

    /// <summary>The cooling timer fired: pack all that has cooled (no request waits on it) and re-arm for the rest.</summary>
    private void Cooled()
    {
        lock (_packing)
        {
            _cooling?.Dispose();
            _cooling = null;
        }

        try
        {
            PackCold(int.MaxValue);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A timer's exception would end the process; an object left unpacked is only bigger.
            LogPackingFailed(e);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Packing cold objects failed; they stay as written")]
    private partial void LogPackingFailed(Exception e);
}
