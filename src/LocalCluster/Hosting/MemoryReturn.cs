using System.Runtime;
using Microsoft.Extensions.Logging;
using Vers.LocalCluster.ApiServer.Watch;

namespace Vers.LocalCluster.Hosting;

/// <summary>What <see cref="MemoryReturn"/> reads at each look: the stored objects and the GC's own gauges.</summary>
/// <param name="StoredObjects">Objects the embedded API server stores.</param>
/// <param name="AllocatedBytes">Bytes the process has allocated since it started (<see cref="GC.GetTotalAllocatedBytes"/>).</param>
/// <param name="CommittedBytes">Memory the GC holds from the system (<see cref="GCMemoryInfo.TotalCommittedBytes"/>).</param>
internal readonly record struct MemoryGauges(int StoredObjects, long AllocatedBytes, long CommittedBytes)
{
    public static MemoryGauges Read(int storedObjects) =>
        new(storedObjects, GC.GetTotalAllocatedBytes(), GC.GetGCMemoryInfo().TotalCommittedBytes);
}

/// <summary>
/// Gives memory back to the machine when the host has no use for it. The GC returns freed heap to the operating system
/// only during a collection, and a quiet process does not collect: it keeps the garbage and the allocation budgets of
/// its last busy minute, and after a mass deletion the peak it reached. Like G1's periodic collection (JDK JEP 346,
/// "promptly return unused committed memory"), one full compacting collection that also decommits the freed space runs
/// <list type="bullet">
/// <item>when the host has gone quiet (it allocated less than <see cref="QuietAllocation"/> since the last look) and the
/// GC holds <see cref="MinExcess"/> (or a quarter) more than it held after the last such collection;</item>
/// <item>when the number of stored objects has fallen by a quarter or more from its high-water mark and the watch
/// history has since let go of the deleted objects' last states (<see cref="WatchHub.FreshFor"/>).</item>
/// </list>
/// Before the second, the process's tables of shared strings are emptied (<c>forget</c>): after a mass deletion they hold
/// mostly the deleted objects' names and uids, and nothing else keeps those alive.
/// Both are rare (once per quiet spell after growth, once per large drop), and the pause is that of one full collection
/// of the live heap, taken while no request is waiting. A busy host is left to the GC's own pace.
/// </summary>
public sealed partial class MemoryReturn : IAsyncDisposable
{
    /// <summary>Drops smaller than this many objects are left to the GC's own pace.</summary>
    internal const int MinDrop = 2000;

    /// <summary>Allocating less than this between two looks is quiet: health probes and metric scrapes, no forks.</summary>
    internal const long QuietAllocation = 8L << 20;

    /// <summary>Growth of the GC's holding smaller than this is left to the GC's own pace.</summary>
    internal const long MinExcess = 48L << 20;

    private readonly Func<MemoryGauges> _gauges;
    private readonly Action _collect;
    private readonly Action? _forget;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TimeSpan _period;
    private readonly CancellationTokenSource _stop = new();
    private readonly PeriodicTimer _timer;
    private readonly Task _loop;
    private int _highWater;
    private DateTimeOffset? _dropSeen;
    private long _allocated;
    private long _floor;

    /// <param name="gauges">Reads the gauges (tests pass their own).</param>
    /// <param name="collect">The collection (tests pass their own; by default <see cref="CollectAndDecommit"/>).</param>
    /// <param name="forget">Empties caches that outlive what they describe; runs before the collection after a large drop.</param>
    internal MemoryReturn(Func<MemoryGauges> gauges, ILogger logger, TimeProvider? time = null, TimeSpan? period = null, Action? collect = null, Action? forget = null)
    {
        _gauges = gauges;
        _collect = collect ?? CollectAndDecommit;
        _forget = forget;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _period = period ?? TimeSpan.FromSeconds(10);
        var first = gauges();
        _allocated = first.AllocatedBytes;
        _floor = first.CommittedBytes;
        // Made here, not in the loop: its periods count from now, however late the loop starts.
        _timer = new PeriodicTimer(_period, _time);
        _loop = Task.Run(RunAsync);
    }

    /// <param name="objectCount">The stored objects now.</param>
    /// <param name="logger">Where each collection is logged.</param>
    /// <param name="forget">Empties caches that outlive what they describe (the shared string tables); runs before the collection after a large drop.</param>
    public MemoryReturn(Func<int> objectCount, ILogger logger, Action? forget = null)
        : this(() => MemoryGauges.Read(objectCount()), logger, forget: forget)
    {
    }

    /// <summary>Collections this instance has run.</summary>
    public int Collections { get; private set; }

    /// <summary>Times it has looked at the gauges (tests wait on it).</summary>
    internal int Checks => Volatile.Read(ref _checks);

    private int _checks;

    private async Task RunAsync()
    {
        try
        {
            while (await _timer.WaitForNextTickAsync(_stop.Token))
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

    /// <summary>One look at the gauges; collects when the host went quiet after growing, or a large drop aged past the watch history.</summary>
    private void Check()
    {
        var now = _gauges();
        var quiet = now.AllocatedBytes - _allocated < QuietAllocation;
        _allocated = now.AllocatedBytes;

        if (DroppedLongEnough(now.StoredObjects))
        {
            _forget?.Invoke();
            Collect(now, $"stored objects fell from {_highWater} to {now.StoredObjects}");
            _highWater = now.StoredObjects;
            _dropSeen = null;
        }
        else if (quiet && now.CommittedBytes - _floor > Math.Max(MinExcess, _floor / 4))
        {
            Collect(now, "the host went quiet");
        }
    }

    private bool DroppedLongEnough(int count)
    {
        _highWater = Math.Max(_highWater, count);
        if (_highWater - count < Math.Max(MinDrop, _highWater / 4))
        {
            _dropSeen = null;
            return false;
        }

        // Expired events leave the history at the next write or watch stop: allow a period for one to happen.
        var now = _time.GetUtcNow();
        _dropSeen ??= now;
        return now - _dropSeen.Value >= WatchHub.FreshFor + _period;
    }

    private void Collect(MemoryGauges before, string why)
    {
        _collect();
        Collections++;
        var after = _gauges();
        _floor = after.CommittedBytes;
        _allocated = after.AllocatedBytes;
        LogReturned(why, (before.CommittedBytes - after.CommittedBytes) >> 20, after.CommittedBytes >> 20);
    }

    /// <summary>A blocking, compacting full collection (the large object heap included) that decommits what it frees.</summary>
    private static void CollectAndDecommit()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _timer.Dispose();
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Compacted the heap because {Why}: returned {ReturnedMb} MB to the system, {CommittedMb} MB held")]
    private partial void LogReturned(string why, long returnedMb, long committedMb);
}
