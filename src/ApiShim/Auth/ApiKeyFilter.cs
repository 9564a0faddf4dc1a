using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Vers.ApiShim.Forks;
using Vers.ApiShim.Hosting;
using Vers.Operator.Forks;

namespace Vers.ApiShim.Auth;

/// <summary>
/// The endpoint needs a valid bearer API key (checked once per request by <see cref="RequestAuthentication"/>, before
/// anything else, so a refused request writes nothing to the cluster) whose organisation exists on this cluster. Logs
/// carry the key id, never the key or the Authorization header.
/// </summary>
public sealed class ApiKeyFilter(OrgDirectory orgs, ILogger<ApiKeyFilter> logger) : IEndpointFilter
{
    private const string OrgItem = "vers.org";

    public static string OrgOf(HttpContext http) => (string)http.Items[OrgItem]!;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var auth = RequestAuthentication.ResultOf(http);
        if (auth.Org is null)
        {
            logger.LogInformation(
                "Refused {Method} {Path}: {Failure} (key id {KeyId})", http.Request.Method, http.Request.Path, auth.Failure, auth.KeyId ?? "none");
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return ErrorBodies.Result(StatusCodes.Status401Unauthorized, "missing or invalid API key");
        }

        if (orgs.NamespaceOf(auth.Org) is null)
        {
            logger.LogWarning(
                "Refused {Method} {Path}: the organisation {Org} of key id {KeyId} has no namespace", http.Request.Method, http.Request.Path, auth.Org, auth.KeyId);
            return ErrorBodies.Result(StatusCodes.Status403Forbidden, ForkService.OrgHasNoNamespace(auth.Org));
        }

        logger.LogDebug("Authenticated {Method} {Path} as org {Org} (key id {KeyId})", http.Request.Method, http.Request.Path, auth.Org, auth.KeyId);
        http.Items[OrgItem] = auth.Org;
        return await next(context);
    }
}
