using System.Runtime;
using Microsoft.Extensions.Logging;
using Vers.LocalCluster.ApiServer.Watch;

namespace Vers.LocalCluster.Hosting;

/// <summary>
/// Gives memory back to the machine after a mass deletion. The GC returns freed heap to the operating system only
/// during a collection, and an idle process does not collect: after most of the cluster is deleted the host would keep
/// the peak it reached. When the number of stored objects has fallen by a quarter or more from its high-water mark, and
/// the watch history has since let go of the deleted objects' last states (<see cref="WatchHub.FreshFor"/>), one full
/// compacting collection that also decommits the freed space runs. It is rare (once per large drop) and its pause is
/// that of one full collection of the remaining heap.
/// </summary>
public sealed partial class MemoryReturn : IAsyncDisposable
{
    /// <summary>Drops smaller than this many objects are left to the GC's own pace.</summary>
    internal const int MinDrop = 2000;

    private readonly Func<int> _objectCount;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TimeSpan _period;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _highWater;
    private DateTimeOffset? _dropSeen;

    public MemoryReturn(Func<int> objectCount, ILogger logger, TimeProvider? time = null, TimeSpan? period = null)
    {
        _objectCount = objectCount;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _period = period ?? TimeSpan.FromSeconds(15);
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Collections this instance has run.</summary>
    public int Collections { get; private set; }

    /// <summary>Times it has looked at the count (tests wait on it).</summary>
    internal int Checks => Volatile.Read(ref _checks);

    private int _checks;

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(_period, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                Check();
                Interlocked.Increment(ref _checks);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>One look at the count; collects when a large drop has aged past the watch history.</summary>
    private void Check()
    {
        var count = _objectCount();
        _highWater = Math.Max(_highWater, count);
        var dropped = _highWater - count;
        if (dropped < Math.Max(MinDrop, _highWater / 4))
        {
            _dropSeen = null;
            return;
        }

        var now = _time.GetUtcNow();
        _dropSeen ??= now;

        // Expired events leave the history at the next write or watch stop: allow a period for one to happen.
        if (now - _dropSeen.Value < WatchHub.FreshFor + _period)
        {
            return;
        }

        var before = GC.GetGCMemoryInfo().TotalCommittedBytes;
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        Collections++;
        LogReturned(_highWater, count, (before - GC.GetGCMemoryInfo().TotalCommittedBytes) / (1024 * 1024));
        _highWater = count;
        _dropSeen = null;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stored objects fell from {HighWater} to {Count}: compacted the heap and returned {ReturnedMb} MB to the system")]
    private partial void LogReturned(int highWater, int count, long returnedMb);
}
