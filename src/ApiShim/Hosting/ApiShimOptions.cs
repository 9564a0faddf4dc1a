namespace Vers.ApiShim.Hosting;

public sealed record ApiShimOptions
{
    public string Listen { get; init; } = "http://127.0.0.1:8080";

    /// <summary>Where the API key Secrets live (the Helm release's namespace).</summary>
    public string ReleaseNamespace { get; init; } = "vers-system";

    /// <summary>How long a fork request waits for the fork to finish before answering.</summary>
    public TimeSpan WaitTimeout { get; init; } = TimeSpan.FromSeconds(120);

    public const int MaxBodyBytes = 64 * 1024;

    /// <summary>Extra readiness condition (the all-in-one host adds "the operator and simulator are ready").</summary>
    public Func<bool>? ReadinessCheck { get; init; }
}
