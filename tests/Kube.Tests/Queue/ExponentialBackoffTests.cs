using Vers.Kube.Queue;

namespace Vers.Kube.Tests.Queue;

public sealed class ExponentialBackoffTests
{
    [Fact]
    public void Default_backoff_starts_at_5_ms_and_doubles()
    {
        var backoff = ExponentialBackoff.Default();

        var delays = Enumerable.Range(0, 5).Select(_ => backoff.When("k").TotalMilliseconds).ToList();

        Assert.Equal([5, 10, 20, 40, 80], delays);
    }

    [Fact]
    public void Default_backoff_is_capped_at_1000_seconds()
    {
        var backoff = ExponentialBackoff.Default();

        var delays = Enumerable.Range(0, 100).Select(_ => backoff.When("k")).ToList();

        // 5 ms · 2^17 = 655 s < 1000 s < 5 ms · 2^18.
        Assert.Equal(TimeSpan.FromMilliseconds(5 * Math.Pow(2, 17)), delays[17]);
        Assert.All(delays.Skip(18), d => Assert.Equal(TimeSpan.FromSeconds(1000), d));
    }

    [Fact]
    public void Backoff_never_overflows_after_many_failures()
    {
        var backoff = new ExponentialBackoff(TimeSpan.FromMilliseconds(5), TimeSpan.FromSeconds(1000));

        for (var i = 0; i < 10_000; i++)
        {
            Assert.InRange(backoff.When("k"), TimeSpan.FromMilliseconds(5), TimeSpan.FromSeconds(1000));
        }
    }

    [Fact]
    public void Failures_are_counted_per_key()
    {
        var backoff = ExponentialBackoff.Default();
        backoff.When("a");
        backoff.When("a");

        Assert.Equal(TimeSpan.FromMilliseconds(5), backoff.When("b"));
        Assert.Equal(2, backoff.Failures("a"));
        Assert.Equal(1, backoff.Failures("b"));
        Assert.Equal(0, backoff.Failures("c"));
    }

    [Fact]
    public void Forget_resets_the_key_to_the_base_delay()
    {
        var backoff = ExponentialBackoff.Default();
        backoff.When("k");
        backoff.When("k");
        backoff.When("k");

        backoff.Forget("k");

        Assert.Equal(0, backoff.Failures("k"));
        Assert.Equal(TimeSpan.FromMilliseconds(5), backoff.When("k"));
    }
}
