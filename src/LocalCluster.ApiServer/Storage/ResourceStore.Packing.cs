using System.Collections.Concurrent;

namespace Vers.LocalCluster.ApiServer.Storage;

/// <summary>
/// Packing of cold JSON (<see cref="JsonPacker"/>). A committed object stays as written while it is hot: its watch events
/// are written to every watcher, and the writer's controllers read it back, right after the commit. It is packed once
/// it is <see cref="PackAfter"/> old, by whichever writer finishes next (outside the writer lock, one at a time; a
/// writer that finds another packing goes on), so packing needs no thread of its own and never delays a commit. What a
/// quiet store leaves unpacked is at most its last seconds of writes. Objects read from disk are packed as they load.
/// </summary>
internal sealed partial class ResourceStore
{
    /// <summary>How long a committed object stays as written.</summary>
    internal static readonly TimeSpan PackAfter = TimeSpan.FromSeconds(2);

    /// <summary>At most this many objects are packed after one write, so no request pays for a long backlog.</summary>
    private const int PackBatch = 64;

    private readonly JsonPacker _packer = new();
    private readonly Lock _packing = new();
    private readonly ConcurrentQueue<(StoredObject Object, string Bucket, DateTimeOffset At)> _hot = new();

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
    private void Committed(string bucket, StoredObject stored) => _hot.Enqueue((stored, bucket, _time.GetUtcNow()));

    /// <summary>Packs the objects that have cooled down, unless another writer is at it.</summary>
    private void PackCold()
    {
        if (_hot.IsEmpty || !_packing.TryEnter())
        {
            return;
        }

        try
        {
            var cold = _time.GetUtcNow() - PackAfter;
            for (var i = 0; i < PackBatch && _hot.TryPeek(out var next) && next.At <= cold; i++)
            {
                _hot.TryDequeue(out _);
                next.Object.Pack(_packer, next.Bucket);
            }
        }
        finally
        {
            _packing.Exit();
        }
    }
}
