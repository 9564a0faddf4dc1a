namespace Vers.LocalCluster.ApiServer;

/// <summary>The error an injected fault answers with.</summary>
public enum FaultKind
{
    /// <summary>500 InternalError.</summary>
    InternalError,

    /// <summary>429 TooManyRequests with <c>Retry-After</c> and <c>details.retryAfterSeconds</c>.</summary>
    TooManyRequests,

    /// <summary>409 Conflict, as for a stale resourceVersion.</summary>
    Conflict,

    /// <summary>500 ServerTimeout with <c>Retry-After</c>, as for storage that cannot be reached (a failing disk).</summary>
    ServerTimeout,
}

/// <summary>
/// One fault rule. Null selectors match everything. <see cref="Client"/> matches a User-Agent prefix (the C# client
/// sends <c>KubernetesClient/…</c>, kubectl <c>kubectl/…</c>); <see cref="Header"/> matches a request header
/// (<c>name=value</c>) so a test can fault only one of several clients.
/// </summary>
public sealed record FaultRule
{
    /// <summary>get, list, watch, create, update, patch, delete or deletecollection.</summary>
    public string? Verb { get; init; }

    /// <summary>The resource plural, e.g. <c>repositoryforks</c>, or <c>repositoryforks/status</c> for the subresource.</summary>
    public string? Resource { get; init; }

    public string? Client { get; init; }

    public string? Header { get; init; }

    /// <summary>Probability (0..1) that a matching request fails with <see cref="Kind"/>.</summary>
    public double ErrorRate { get; init; }

    public FaultKind Kind { get; init; } = FaultKind.InternalError;

    public int RetryAfterSeconds { get; init; } = 1;

    /// <summary>Added before a matching request is served (whether or not it then fails).</summary>
    public TimeSpan Latency { get; init; }
}

/// <summary>What the server learnt about a request before serving it.</summary>
internal sealed record RequestInfo(string Verb, string Resource, string Client, Func<string, string?> Header);

/// <summary>
/// Run-time switchable fault injection for tests (<see cref="KubeApiServer.Faults"/>). Faults are decided before a
/// request touches the store, so a faulted write never partially happens. Random choices use a seeded generator.
/// </summary>
public sealed class FaultInjector : IDisposable
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly List<FaultRule> _rules = [];
    private Random _random;
    private CancellationTokenSource _watchDrop = new();
    private ITimer? _dropTimer;

    internal FaultInjector(int seed, TimeProvider time)
    {
        _random = new Random(seed);
        _time = time;
    }

    public IReadOnlyList<FaultRule> Rules
    {
        get
        {
            lock (_gate)
            {
                return [.. _rules];
            }
        }
    }

    public FaultRule Add(FaultRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        lock (_gate)
        {
            _rules.Add(rule);
        }

        return rule;
    }

    public bool Remove(FaultRule rule)
    {
        lock (_gate)
        {
            return _rules.Remove(rule);
        }
    }

    /// <summary>Removes every rule and stops periodic watch drops.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _rules.Clear();
            _dropTimer?.Dispose();
            _dropTimer = null;
        }
    }

    /// <summary>Restarts the random sequence, for reproducible runs.</summary>
    public void Reseed(int seed)
    {
        lock (_gate)
        {
            _random = new Random(seed);
        }
    }

    /// <summary>Ends every open watch stream now (cleanly, as an apiserver restart or load balancer would).</summary>
    public void DropWatches()
    {
        CancellationTokenSource old;
        lock (_gate)
        {
            old = _watchDrop;
            _watchDrop = new CancellationTokenSource();
        }

        old.Cancel();
        old.Dispose();
    }

    /// <summary>Drops every open watch each <paramref name="period"/> (null stops it).</summary>
    public void DropWatchesEvery(TimeSpan? period)
    {
        lock (_gate)
        {
            _dropTimer?.Dispose();
            _dropTimer = period is { } p ? _time.CreateTimer(_ => DropWatches(), null, p, p) : null;
        }
    }

    /// <summary>Cancelled when watches are dropped; a watch links its stream to the token current when it starts.</summary>
    internal CancellationToken WatchDropToken
    {
        get
        {
            lock (_gate)
            {
                return _watchDrop.Token;
            }
        }
    }

    /// <summary>The latency to add and the fault (if any) for a request.</summary>
    internal (TimeSpan Latency, FaultRule? Failure) Decide(RequestInfo request)
    {
        lock (_gate)
        {
            var latency = TimeSpan.Zero;
            FaultRule? failure = null;
            foreach (var rule in _rules.Where(r => Matches(r, request)))
            {
                latency += rule.Latency;
                if (failure is null && rule.ErrorRate > 0 && _random.NextDouble() < rule.ErrorRate)
                {
                    failure = rule;
                }
            }

            return (latency, failure);
        }
    }

    private static bool Matches(FaultRule rule, RequestInfo request)
    {
        if (rule.Verb is not null && !string.Equals(rule.Verb, request.Verb, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (rule.Resource is not null && rule.Resource != request.Resource)
        {
            return false;
        }

        if (rule.Client is not null && !request.Client.StartsWith(rule.Client, StringComparison.Ordinal))
        {
            return false;
        }

        if (rule.Header is { } header)
        {
            var eq = header.IndexOf('=');
            var (name, value) = eq < 0 ? (header, null) : (header[..eq], header[(eq + 1)..]);
            var actual = request.Header(name);
            if (actual is null || (value is not null && actual != value))
            {
                return false;
            }
        }

        return true;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _dropTimer?.Dispose();
            _watchDrop.Dispose();
        }
    }
}
