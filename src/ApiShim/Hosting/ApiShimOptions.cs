namespace Vers.ApiShim.Hosting;

public sealed record ApiShimOptions
{
    public string Listen { get; init; } = "http://127.0.0.1:8080";

    /// <summary>Where the API key Secrets live (the Helm release's namespace).</summary>
    public string ReleaseNamespace { get; init; } = "vers-system";

    /// <summary>How long a fork request waits for the fork to finish before answering 500 with the operation to poll.</summary>
    public TimeSpan WaitTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>
    /// spec.ttlSecondsAfterFinished of the RepositoryForks the shim creates: how long a finished fork
    /// operation (and with it its idempotency key) can still be read or replayed. Null keeps them forever.
    /// </summary>
    public TimeSpan? ForkTtl { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Per-org token bucket over authenticated requests; null switches rate limiting off.</summary>
    public OrgRateLimit? RateLimit { get; init; } = new();

    public const int MaxBodyBytes = 64 * 1024;

    /// <summary>Extra readiness condition (the all-in-one host adds "the operator and simulator are ready").</summary>
    public Func<bool>? ReadinessCheck { get; init; }
}

/// <summary>
/// A token bucket per org: up to <see cref="Burst"/> requests at once, refilled with
/// <see cref="TokensPerPeriod"/> every <see cref="Period"/>.
/// </summary>
public sealed record OrgRateLimit
{
    public int Burst { get; init; } = 100;

    public int TokensPerPeriod { get; init; } = 20;

    public TimeSpan Period { get; init; } = TimeSpan.FromSeconds(1);
}
