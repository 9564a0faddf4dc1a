using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Vers.ApiShim.Hosting;

namespace Vers.ApiShim.Auth;

/// <summary>
/// Middleware that reads the bearer key once per request (<see cref="ApiKeyAuthenticator"/>, from the informer cache)
/// and charges the request to a token bucket before any endpoint runs: the org's for a valid key, the client IP's for
/// everything else (public reads, the docs, refused keys, unknown routes). Past either: 429 with Retry-After and the
/// error body. Probes are not charged. Endpoints that need a key read the decision with <see cref="ResultOf"/>.
/// </summary>
public sealed class RequestAuthentication(
    ApiKeyAuthenticator authenticator, OrgRateLimiter orgs, ClientIpRateLimiter clients, ILogger<RequestAuthentication> logger) : IMiddleware
{
    private const string ResultItem = "vers.auth";

    /// <summary>Paths kubelet and Prometheus call: never charged.</summary>
    private static readonly HashSet<string> Uncharged = new(StringComparer.OrdinalIgnoreCase) { "/healthz", "/readyz", "/metrics" };

    public static AuthResult ResultOf(HttpContext http) => (AuthResult)http.Items[ResultItem]!;

    public async Task InvokeAsync(HttpContext http, RequestDelegate next)
    {
        var result = authenticator.Check(http.Request.Headers.Authorization.ToString() is { Length: > 0 } h ? h : null);
        http.Items[ResultItem] = result;
        if (!Uncharged.Contains(http.Request.Path.Value ?? ""))
        {
            var (limiter, bucket, whose) = result.Org is { } org
                ? ((KeyedRateLimiter)orgs, org, $"for organisation {org}")
                : (clients, http.Connection.RemoteIpAddress?.ToString() ?? "unknown", $"without a valid API key from {http.Connection.RemoteIpAddress}");
            using var lease = limiter.Acquire(bucket);
            if (!lease.IsAcquired)
            {
                var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
                var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
                logger.LogInformation("Rate limited requests {Whose} (key id {KeyId}) for {Seconds} s", whose, result.KeyId ?? "none", seconds);
                http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await ErrorBodies.WriteAsync(http, StatusCodes.Status429TooManyRequests, $"too many requests {whose}; retry after {seconds} s");
                return;
            }
        }

        await next(http);
    }
}
