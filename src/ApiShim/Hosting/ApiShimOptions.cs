namespace Vers.ApiShim.Hosting;

public sealed record ApiShimOptions
{
    public string Listen { get; init; } = "http://127.0.0.1:8080";

    /// <summary>
    /// Where /metrics is served, on a listener of its own (the standalone API defaults to port 9090). Null serves it on
    /// <see cref="Listen"/> instead, for hosts that embed the API on loopback and set no metrics listener (the
    /// all-in-one development host).
    /// </summary>
    public string? MetricsListen { get; init; }

    /// <summary>Where the API key Secrets live (the Helm release's namespace).</summary>
    public string ReleaseNamespace { get; init; } = "vers-system";

    /// <summary>
    /// How long a synchronous fork request waits for its fork before answering 500 with the operation to poll. A client
    /// that gives up earlier (Vers' Go SDK waits 30 s) and sends the request again with the same idempotency key waits
    /// for the same fork again, each try up to this long.
    /// </summary>
    public TimeSpan WaitTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>
    /// spec.ttlSecondsAfterFinished of the RepositoryForks the shim creates: how long a finished fork
    /// operation (and with it its idempotency key) can still be read or replayed. Null keeps them forever.
    /// </summary>
    public TimeSpan? ForkTtl { get; init; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How long a fork that failed is kept (spec.ttlSecondsAfterFailure of each fork the API creates, when shorter than
    /// <see cref="ForkTtl"/>): a 404 or 409 retried by a client leaves nothing for long. Null: failed forks live as long
    /// as any other.
    /// </summary>
    public TimeSpan? FailedForkTtl { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// At most this many forks made through the API may be unfinished in one org; past it a new fork answers 429 with
    /// Retry-After. Null: no cap.
    /// </summary>
    public int? MaxUnfinishedForksPerOrg { get; init; } = 50;

    /// <summary>Per-org token bucket over authenticated requests; null switches rate limiting off.</summary>
    public OrgRateLimit? RateLimit { get; init; } = new();

    /// <summary>
    /// Per-client-IP token bucket over requests that carry no valid API key (public reads, refused keys, the docs);
    /// null switches it off. Probes (/healthz, /readyz) are not counted.
    /// </summary>
    public OrgRateLimit? UnauthenticatedRateLimit { get; init; } = new() { Burst = 100, TokensPerPeriod = 20 };

    /// <summary>Kestrel's limit on receiving a request's headers; past it the request answers 408.</summary>
    public TimeSpan RequestHeadersTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public const int MaxBodyBytes = 64 * 1024;

    /// <summary>
    /// Cache VirtualMachines reduced to what the VM list shows (<see cref="Vms.VmCatalog.Slim"/>). Off: whole VMs, as the
    /// operator and the simulator cache them, so that in one process (the all-in-one host) the three share one informer;
    /// each list then reads the printable status from the VM's stored JSON instead.
    /// </summary>
    public bool SlimVmCache { get; init; } = true;

    /// <summary>Extra readiness condition (the all-in-one host adds "the operator and simulator are ready").</summary>
    public Func<bool>? ReadinessCheck { get; init; }
}

/// <summary>
/// A token bucket (per org, or per client IP): up to <see cref="Burst"/> requests at once, refilled with
/// <see cref="TokensPerPeriod"/> every <see cref="Period"/>.
/// </summary>
public sealed record OrgRateLimit
{
    public int Burst { get; init; } = 100;

    public int TokensPerPeriod { get; init; } = 20;

    public TimeSpan Period { get; init; } = TimeSpan.FromSeconds(1);
}
