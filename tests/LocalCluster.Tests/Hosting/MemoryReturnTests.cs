using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Vers.LocalCluster.ApiServer.Watch;
using Vers.LocalCluster.Hosting;

namespace Vers.LocalCluster.Tests.Hosting;

/// <summary>
/// The host collects (and decommits) once when it goes quiet after its heap grew, and once after a large drop in stored
/// objects when the watch history has let them go; a busy host and small changes are left to the GC.
/// </summary>
public sealed class MemoryReturnTests
{
    private const long Mb = 1 << 20;
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(10);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_large_drop_is_collected_once_after_the_history_expired()
    {
        await using var host = new FakeHost(objects: 20_000);
        await host.TickAsync(2);
        host.Objects = 1_000;
        await host.TickAsync(2);
        Assert.Equal(0, host.Memory.Collections);

        await host.TickAsync((int)Math.Ceiling((WatchHub.FreshFor + Period) / Period) + 1);
        Assert.Equal(1, host.Memory.Collections);

        // The lower count is the new high-water mark: nothing more to return.
        await host.TickAsync(20);
        Assert.Equal(1, host.Memory.Collections);
    }

    [Fact]
    public async Task The_shared_string_tables_are_emptied_before_a_collection_after_a_drop_only()
    {
        await using var host = new FakeHost(objects: 20_000);
        host.Allocate(500 * Mb, committedGrowth: 200 * Mb);
        await host.TickAsync(2); // quiet after growth: collected, nothing forgotten
        Assert.Equal((1, 0), (host.Memory.Collections, host.Forgotten));

        host.Objects = 1_000;
        await host.TickAsync((int)Math.Ceiling((WatchHub.FreshFor + Period) / Period) + 3);

        Assert.Equal((2, 1), (host.Memory.Collections, host.Forgotten));
    }

    [Fact]
    public async Task Small_drops_and_growth_of_stored_objects_collect_nothing()
    {
        await using var host = new FakeHost(objects: 20_000);
        await host.TickAsync(2);
        host.Objects = 18_500; // less than a quarter
        await host.TickAsync(20);
        host.Objects = 40_000;
        await host.TickAsync(20);
        Assert.Equal(0, host.Memory.Collections);
    }

    [Fact]
    public async Task A_host_that_grew_and_went_quiet_is_collected_once()
    {
        await using var host = new FakeHost(objects: 100);
        host.Allocate(500 * Mb, committedGrowth: 200 * Mb);
        await host.TickAsync(1);
        Assert.Equal(0, host.Memory.Collections);

        await host.TickAsync(1); // nothing allocated since the last look
        Assert.Equal(1, host.Memory.Collections);

        await host.TickAsync(10);
        Assert.Equal(1, host.Memory.Collections);
    }

    [Fact]
    public async Task A_busy_host_is_left_to_the_GC()
    {
        await using var host = new FakeHost(objects: 100);
        for (var i = 0; i < 10; i++)
        {
            host.Allocate(100 * Mb, committedGrowth: 30 * Mb);
            await host.TickAsync(1);
        }

        Assert.Equal(0, host.Memory.Collections);
    }

    [Fact]
    public async Task Growth_below_the_minimum_excess_is_left_to_the_GC()
    {
        await using var host = new FakeHost(objects: 100);
        host.Allocate(200 * Mb, committedGrowth: MemoryReturn.MinExcess - Mb);
        await host.TickAsync(5);
        Assert.Equal(0, host.Memory.Collections);
    }

    /// <summary>Gauges the test moves by hand, and a collection that gives back all the growth.</summary>
    private sealed class FakeHost : IAsyncDisposable
    {
        private const long StartCommitted = 40 * Mb;
        private readonly FakeTimeProvider _time = new();
        private long _allocated = 10 * Mb;
        private long _committed = StartCommitted;
        private int _objects;
        private int _forgotten;

        public FakeHost(int objects)
        {
            _objects = objects;
            Memory = new MemoryReturn(
                () => new MemoryGauges(Volatile.Read(ref _objects), Interlocked.Read(ref _allocated), Interlocked.Read(ref _committed)),
                NullLogger.Instance, _time, Period, () => Interlocked.Exchange(ref _committed, StartCommitted), () => Interlocked.Increment(ref _forgotten));
        }

        public MemoryReturn Memory { get; }

        /// <summary>Times the caches were emptied.</summary>
        public int Forgotten => Volatile.Read(ref _forgotten);

        public int Objects
        {
            set => Volatile.Write(ref _objects, value);
        }

        public void Allocate(long bytes, long committedGrowth)
        {
            Interlocked.Add(ref _allocated, bytes);
            Interlocked.Add(ref _committed, committedGrowth);
        }

        /// <summary>Advances the fake clock by whole periods, letting the loop look at each tick.</summary>
        public async Task TickAsync(int periods)
        {
            for (var i = 0; i < periods; i++)
            {
                var checks = Memory.Checks;
                _time.Advance(Period);
                for (var wait = 0; Memory.Checks == checks && wait < 200; wait++)
                {
                    await Task.Delay(10, Ct);
                }
            }
        }

        public ValueTask DisposeAsync() => Memory.DisposeAsync();
    }
}
