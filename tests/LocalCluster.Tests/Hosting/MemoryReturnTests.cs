using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Vers.LocalCluster.ApiServer.Watch;
using Vers.LocalCluster.Hosting;

namespace Vers.LocalCluster.Tests.Hosting;

/// <summary>The host collects (and decommits) once after a large drop in stored objects, when the watch history has let them go.</summary>
public sealed class MemoryReturnTests
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(15);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_large_drop_is_collected_once_after_the_history_expired()
    {
        var time = new FakeTimeProvider();
        var count = 20_000;
        await using var memory = new MemoryReturn(() => Volatile.Read(ref count), NullLogger.Instance, time, Period);
        await TickAsync(time, memory, 2);
        Volatile.Write(ref count, 1_000);
        await TickAsync(time, memory, 2);
        Assert.Equal(0, memory.Collections);

        await TickAsync(time, memory, (int)Math.Ceiling((WatchHub.FreshFor + Period) / Period) + 1);
        Assert.Equal(1, memory.Collections);

        // The lower count is the new high-water mark: nothing more to return.
        await TickAsync(time, memory, 20);
        Assert.Equal(1, memory.Collections);
    }

    [Fact]
    public async Task Small_drops_and_growth_collect_nothing()
    {
        var time = new FakeTimeProvider();
        var count = 20_000;
        await using var memory = new MemoryReturn(() => Volatile.Read(ref count), NullLogger.Instance, time, Period);
        await TickAsync(time, memory, 2);
        Volatile.Write(ref count, 18_500); // less than a quarter
        await TickAsync(time, memory, 20);
        Volatile.Write(ref count, 40_000);
        await TickAsync(time, memory, 20);
        Assert.Equal(0, memory.Collections);
    }

    /// <summary>Advances the fake clock by whole periods, letting the loop run each tick.</summary>
    private static async Task TickAsync(FakeTimeProvider time, MemoryReturn memory, int periods)
    {
        for (var i = 0; i < periods; i++)
        {
            var ticks = memory.Checks;
            time.Advance(Period);
            for (var wait = 0; memory.Checks == ticks && wait < 200; wait++)
            {
                await Task.Delay(10, Ct);
            }
        }
    }
}
