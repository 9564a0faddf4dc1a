using Microsoft.AspNetCore.Http;
using Vers.ApiShim.Forks;

namespace Vers.ApiShim.Auth;

/// <summary>Bearer API key check before anything else: a refused request writes nothing to the cluster.</summary>
public sealed class ApiKeyFilter(ApiKeyAuthenticator authenticator) : IEndpointFilter
{
    private const string OrgItem = "vers.org";

    public static string OrgOf(HttpContext http) => (string)http.Items[OrgItem]!;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var org = authenticator.Authenticate(http.Request.Headers.Authorization.ToString() is { Length: > 0 } h ? h : null);
        if (org is null)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return ForkEndpoints.Error(StatusCodes.Status401Unauthorized, "missing or invalid API key");
        }

        http.Items[OrgItem] = org;
        return await next(context);
    }
}
