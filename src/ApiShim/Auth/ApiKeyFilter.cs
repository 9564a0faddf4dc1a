using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Vers.ApiShim.Forks;

namespace Vers.ApiShim.Auth;

/// <summary>
/// Bearer API key check before anything else (a refused request writes nothing to the cluster), then
/// the caller's org's token bucket. Logs carry the key id, never the key or the Authorization header.
/// </summary>
public sealed class ApiKeyFilter(ApiKeyAuthenticator authenticator, OrgRateLimiter limiter, ILogger<ApiKeyFilter> logger) : IEndpointFilter
{
    private const string OrgItem = "vers.org";

    public static string OrgOf(HttpContext http) => (string)http.Items[OrgItem]!;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var auth = authenticator.Check(http.Request.Headers.Authorization.ToString() is { Length: > 0 } h ? h : null);
        if (auth.Org is null)
        {
            logger.LogInformation(
                "Refused {Method} {Path}: {Failure} (key id {KeyId})", http.Request.Method, http.Request.Path, auth.Failure, auth.KeyId ?? "none");
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return ForkEndpoints.Error(StatusCodes.Status401Unauthorized, "missing or invalid API key");
        }

        using var lease = limiter.Acquire(auth.Org);
        if (!lease.IsAcquired)
        {
            var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
            var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
            logger.LogInformation("Rate limited org {Org} (key id {KeyId}) for {Seconds} s", auth.Org, auth.KeyId, seconds);
            http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return ForkEndpoints.Error(StatusCodes.Status429TooManyRequests, $"too many requests for organisation {auth.Org}; retry after {seconds} s");
        }

        logger.LogDebug("Authenticated {Method} {Path} as org {Org} (key id {KeyId})", http.Request.Method, http.Request.Path, auth.Org, auth.KeyId);
        http.Items[OrgItem] = auth.Org;
        return await next(context);
    }
}
