using System.Collections.Concurrent;

namespace Vers.Kube.Queue;

/// <summary>Per-key exponential backoff: base·2^failures, capped (controller-runtime: 5 ms → 1000 s).</summary>
public sealed class ExponentialBackoff(TimeSpan baseDelay, TimeSpan maxDelay)
{
    private readonly ConcurrentDictionary<string, int> _failures = new();

    public static ExponentialBackoff Default() => new(TimeSpan.FromMilliseconds(5), TimeSpan.FromSeconds(1000));

    /// <summary>The delay before the next retry of <paramref name="key"/>; counts one more failure.</summary>
    public TimeSpan When(string key)
    {
        var failures = _failures.AddOrUpdate(key, 0, (_, n) => n + 1);
        var delay = baseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(failures, 62));
        return delay >= maxDelay.TotalMilliseconds ? maxDelay : TimeSpan.FromMilliseconds(delay);
    }

    public int Failures(string key) => _failures.TryGetValue(key, out var n) ? n + 1 : 0;

    public void Forget(string key) => _failures.TryRemove(key, out _);
}
