using Microsoft.Extensions.Time.Testing;
using Vers.Kube.Queue;

namespace Vers.Kube.Tests.Queue;

public sealed class WorkQueueTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The next key, or null when none is ready (a worker would block).</summary>
    private static async Task<string?> TryGetAsync(WorkQueue queue)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromMilliseconds(100));
        try
        {
            return await queue.GetAsync(cts.Token);
        }
        catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
        {
            return null;
        }
    }

    private static async Task<string> GetAsync(WorkQueue queue)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(5));
        return await queue.GetAsync(cts.Token);
    }

    [Fact]
    public async Task Add_of_a_key_already_waiting_does_not_queue_it_twice()
    {
        using var queue = new WorkQueue("test");
        queue.Add("a");
        queue.Add("b");
        queue.Add("a");

        Assert.Equal(2, queue.Count);
        Assert.Equal("a", await GetAsync(queue));
        Assert.Equal("b", await GetAsync(queue));
        Assert.Null(await TryGetAsync(queue));
    }

    [Fact]
    public async Task A_key_being_processed_is_not_handed_out_again()
    {
        using var queue = new WorkQueue("test");
        queue.Add("a");
        Assert.Equal("a", await GetAsync(queue));

        queue.Add("a");

        Assert.Null(await TryGetAsync(queue));
    }

    [Fact]
    public async Task A_key_added_during_processing_comes_back_after_Done()
    {
        using var queue = new WorkQueue("test");
        queue.Add("a");
        var key = await GetAsync(queue);
        queue.Add("a");
        queue.Add("a");

        queue.Done(key);

        Assert.Equal("a", await GetAsync(queue));
        Assert.Null(await TryGetAsync(queue));
    }

    [Fact]
    public async Task Done_of_a_key_not_added_again_does_not_requeue_it()
    {
        using var queue = new WorkQueue("test");
        queue.Add("a");
        queue.Done(await GetAsync(queue));

        Assert.Null(await TryGetAsync(queue));
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public async Task Concurrent_workers_never_hold_the_same_key_at_once()
    {
        using var queue = new WorkQueue("test");
        var holding = new HashSet<string>();
        var gate = new Lock();
        var violations = 0;
        var handled = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var key = await queue.GetAsync(stop.Token);
                    lock (gate)
                    {
                        if (!holding.Add(key))
                        {
                            violations++;
                        }
                    }

                    await Task.Yield();
                    lock (gate)
                    {
                        holding.Remove(key);
                    }

                    Interlocked.Increment(ref handled);
                    queue.Done(key);
                }
            }
            catch (OperationCanceledException)
            {
            }
        })).ToList();

        for (var i = 0; i < 2_000; i++)
        {
            queue.Add($"k{i % 3}");
            if (i % 100 == 0)
            {
                await Task.Yield();
            }
        }

        // Wait (bounded) for the queue to drain, then stop the workers.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (queue.Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10, Ct);
        }

        await stop.CancelAsync();
        await Task.WhenAll(workers);
        Assert.Equal(0, violations);
        Assert.Equal(0, queue.Count);
        Assert.True(handled >= 3);
    }

    [Fact]
    public async Task AddAfter_fires_only_when_time_advances()
    {
        var time = new FakeTimeProvider();
        using var queue = new WorkQueue("test", time: time);

        queue.AddAfter("a", TimeSpan.FromSeconds(10));
        Assert.Null(await TryGetAsync(queue));

        time.Advance(TimeSpan.FromSeconds(9));
        Assert.Null(await TryGetAsync(queue));

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("a", await GetAsync(queue));
    }

    [Fact]
    public async Task Of_two_delayed_adds_of_one_key_the_earliest_wins()
    {
        var time = new FakeTimeProvider();
        using var queue = new WorkQueue("test", time: time);

        queue.AddAfter("a", TimeSpan.FromSeconds(30));
        queue.AddAfter("a", TimeSpan.FromSeconds(5));
        time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal("a", await GetAsync(queue));
        Assert.Equal(0, queue.Delayed);
    }

    [Fact]
    public async Task A_later_delayed_add_does_not_postpone_an_earlier_one()
    {
        var time = new FakeTimeProvider();
        using var queue = new WorkQueue("test", time: time);

        queue.AddAfter("a", TimeSpan.FromSeconds(5));
        queue.AddAfter("a", TimeSpan.FromSeconds(30));
        time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal("a", await GetAsync(queue));
    }

    [Fact]
    public async Task A_key_delayed_many_times_waits_once_and_is_handed_out_once()
    {
        var time = new FakeTimeProvider();
        using var queue = new WorkQueue("test", time: time);

        for (var i = 0; i < 1_000; i++)
        {
            queue.AddAfter("a", TimeSpan.FromSeconds(10));
            queue.AddAfter("b", TimeSpan.FromSeconds(10 - (i % 10)));
        }

        Assert.Equal(2, queue.Delayed);
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(0, queue.Delayed);
        Assert.Equal(["a", "b"], new[] { await GetAsync(queue), await GetAsync(queue) }.Order());
        Assert.Null(await TryGetAsync(queue));
    }

    [Fact]
    public async Task Delayed_keys_come_out_in_due_order_each_when_its_time_comes()
    {
        var time = new FakeTimeProvider();
        using var queue = new WorkQueue("test", time: time);
        queue.AddAfter("late", TimeSpan.FromSeconds(20));
        queue.AddAfter("early", TimeSpan.FromSeconds(10));

        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal("early", await GetAsync(queue));
        Assert.Null(await TryGetAsync(queue));
        Assert.Equal(1, queue.Delayed);

        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal("late", await GetAsync(queue));
    }

    [Fact]
    public async Task A_delayed_add_of_a_key_being_processed_comes_back_after_Done()
    {
        var time = new FakeTimeProvider();
        using var queue = new WorkQueue("test", time: time);
        queue.Add("a");
        var key = await GetAsync(queue);

        queue.AddAfter("a", TimeSpan.FromSeconds(1));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(await TryGetAsync(queue));

        queue.Done(key);
        Assert.Equal("a", await GetAsync(queue));
    }

    [Fact]
    public void Delayed_adds_after_Dispose_are_ignored()
    {
        var time = new FakeTimeProvider();
        var queue = new WorkQueue("test", time: time);
        queue.Dispose();

        queue.AddAfter("a", TimeSpan.FromSeconds(1));
        queue.Add("b");
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(0, queue.Delayed);
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public async Task AddAfter_with_no_delay_adds_at_once()
    {
        var time = new FakeTimeProvider();
        using var queue = new WorkQueue("test", time: time);

        queue.AddAfter("a", TimeSpan.Zero);

        Assert.Equal("a", await GetAsync(queue));
    }

    [Fact]
    public async Task AddRateLimited_waits_5_ms_then_10_ms()
    {
        var time = new FakeTimeProvider();
        using var queue = new WorkQueue("test", time: time);

        queue.AddRateLimited("a");
        time.Advance(TimeSpan.FromMilliseconds(4));
        Assert.Null(await TryGetAsync(queue));
        time.Advance(TimeSpan.FromMilliseconds(1));
        queue.Done(await GetAsync(queue));

        queue.AddRateLimited("a");
        time.Advance(TimeSpan.FromMilliseconds(9));
        Assert.Null(await TryGetAsync(queue));
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal("a", await GetAsync(queue));
        Assert.Equal(2, queue.Failures("a"));
    }

    [Fact]
    public async Task Forget_resets_the_rate_limit_of_a_key()
    {
        var time = new FakeTimeProvider();
        using var queue = new WorkQueue("test", time: time);
        queue.AddRateLimited("a");
        queue.AddRateLimited("a");
        queue.AddRateLimited("a");
        time.Advance(TimeSpan.FromMilliseconds(20));
        queue.Done(await GetAsync(queue));

        queue.Forget("a");
        queue.AddRateLimited("a");
        time.Advance(TimeSpan.FromMilliseconds(5));

        Assert.Equal("a", await GetAsync(queue));
        Assert.Equal(1, queue.Failures("a"));
    }

    [Fact]
    public async Task Pending_delayed_adds_are_dropped_after_Dispose()
    {
        var time = new FakeTimeProvider();
        var queue = new WorkQueue("test", time: time);
        queue.AddAfter("a", TimeSpan.FromSeconds(1));

        queue.Dispose();
        time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(0, queue.Count);
        Assert.Equal(0, queue.Delayed);
        await Assert.ThrowsAnyAsync<Exception>(async () => await queue.GetAsync(Ct));
    }

    [Fact]
    public async Task Unfinished_counts_keys_waiting_or_being_processed_but_not_delayed_ones()
    {
        var time = new FakeTimeProvider();
        using var queue = new WorkQueue("test", time: time);
        queue.AddAfter("later", TimeSpan.FromSeconds(1));
        queue.Add("a");
        queue.Add("b");
        Assert.Equal(2, queue.Unfinished);

        var first = await GetAsync(queue);
        queue.Add(first); // changed again while processing: still one key
        Assert.Equal(2, queue.Unfinished);

        queue.Done(first);
        await GetAsync(queue);
        var again = await GetAsync(queue);
        queue.Done(again);
        Assert.Equal(1, queue.Unfinished);
    }
}
