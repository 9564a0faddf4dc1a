using System.ComponentModel;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Vers.ApiShim.Forks;
using Vers.ApiShim.OpenApi;
using Vers.Operator.Forks;

namespace Vers.ApiShim.Auth;

/// <summary>Vers' ValidateKeyResponse.</summary>
[Description("Whether the API key is valid, and why not")]
public sealed record ValidateKeyResponse(
    [property: JsonPropertyName("valid"), Description("Whether the key may be used")] bool Valid,
    [property: JsonPropertyName("message"), Description("What was found")] string Message);

public static class KeyEndpoints
{
    /// <summary>
    /// <c>POST /api/v1/keys/validate</c>: checks the bearer key and answers 200 <c>{valid, message}</c> either way (a
    /// refused key is <c>valid: false</c>, not a 401). The request body, if any, is not read.
    /// </summary>
    public static IEndpointRouteBuilder MapKeyEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/keys/validate", (HttpContext http, OrgDirectory orgs) =>
            {
                var auth = RequestAuthentication.ResultOf(http);
                return TypedResults.Ok(auth switch
                {
                    { Org: null, KeyId: null } when auth.Failure == ApiKeyAuthenticator.NoHeader =>
                        new ValidateKeyResponse(false, "no API key: send it as Authorization: Bearer <key>"),
                    { Org: null } => new ValidateKeyResponse(false, "invalid API key: unknown, revoked or malformed"),
                    _ when orgs.NamespaceOf(auth.Org!) is null => new ValidateKeyResponse(false, ForkService.OrgHasNoNamespace(auth.Org!)),
                    _ => new ValidateKeyResponse(true, $"API key {auth.KeyId} is valid for organisation {auth.Org}"),
                });
            })
            .WithTags("keys")
            .WithName("validate_key")
            .WithSummary("Check an API key (the bearer token): 200 with valid true or false")
            .WithMetadata(new ApiKeyRequired())
            .Produces<ErrorResponse>(StatusCodes.Status429TooManyRequests);
        return app;
    }
}
