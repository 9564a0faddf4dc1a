using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.Routing;
using Microsoft.OpenApi;
using Vers.ApiShim.Forks;

namespace Vers.ApiShim.OpenApi;

/// <summary>Endpoint metadata: the endpoint needs an API key (documented with the bearer_auth scheme).</summary>
public sealed record ApiKeyRequired;

/// <summary>
/// Shapes the generated OpenAPI document into Vers' published contract (the seed,
/// fork-openapi.yaml): its title and version, the bearer_auth scheme on every endpoint that needs a
/// key, its response descriptions, and its schemas' required lists and formats where the C# types
/// alone would say otherwise.
/// </summary>
public static class ForkApiDocument
{
    public const string BearerScheme = "bearer_auth";

    /// <summary>Descriptions of the fork operation's responses: the seed's, then ours.</summary>
    public static readonly IReadOnlyDictionary<string, string> ForkResponses = new Dictionary<string, string>
    {
        ["201"] = "Repository forked successfully",
        ["401"] = "Unauthorized",
        ["404"] = "Source repository or tag not found",
        ["409"] = "Target repository already exists",
        ["500"] = "Internal server error",
        ["202"] = "Accepted (Prefer: respond-async): the fork runs on; poll the operation named by the Location header",
        ["400"] = "Invalid request: malformed JSON, a wrong or missing field, an invalid name or Idempotency-Key",
        ["413"] = "Request body larger than 64 KiB",
        ["422"] = "The Idempotency-Key was already used with a different request body",
        ["429"] = "Too many requests for the organisation; retry after the Retry-After header's seconds",
    };

    public static void Configure(OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo { Title = "Orchestrator Control Plane API", Version = "0.1.0", Description = "" };
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "Token",
            };
            return Task.CompletedTask;
        });

        options.AddOperationTransformer((operation, context, _) =>
        {
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            if (metadata.OfType<ApiKeyRequired>().Any())
            {
                operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] }];
            }

            if (metadata.OfType<IEndpointNameMetadata>().Any(n => n.EndpointName == ForkEndpoints.ForkOperationId) && operation.Responses is { } responses)
            {
                foreach (var (code, response) in responses)
                {
                    if (ForkResponses.TryGetValue(code, out var description) && response is OpenApiResponse r)
                    {
                        r.Description = description;
                    }
                }
            }

            return Task.CompletedTask;
        });

        options.AddSchemaTransformer((schema, context, _) =>
        {
            var type = context.JsonTypeInfo.Type;
            if (type == typeof(ForkRepositoryRequest))
            {
                // repo_name and tag_name are optional (and nullable).
                schema.Required = new HashSet<string> { "source_org", "source_repo", "source_tag" };
            }
            else if (type == typeof(ErrorResponse))
            {
                schema.Required = null;
            }

            if ((type == typeof(ForkRepositoryResponse) || type == typeof(ForkOperation))
                && schema.Properties?.TryGetValue("commit_id", out var commitId) == true && commitId is OpenApiSchema commit)
            {
                commit.Format = "uuid";
            }

            return Task.CompletedTask;
        });
    }
}
