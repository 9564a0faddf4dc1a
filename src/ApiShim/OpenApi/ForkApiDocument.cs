using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.Routing;
using Microsoft.OpenApi;
using Vers.ApiShim.Forks;
using Vers.ApiShim.Repositories;

namespace Vers.ApiShim.OpenApi;

/// <summary>Endpoint metadata: the endpoint needs an API key (documented with the bearer_auth scheme).</summary>
public sealed record ApiKeyRequired;

/// <summary>
/// Shapes the generated OpenAPI document into Vers' published contract ("the seed": its copy is
/// tests/ApiShim.Tests/Contract/fork-openapi.yaml): its title and
/// version, the bearer_auth scheme on every endpoint that needs a key, the fork operation's response descriptions, and
/// the schemas' required lists and formats where the C# types alone would say otherwise. Our extensions of the fork
/// operation are documented beside the seed's text: the idempotency and Prefer request headers, the Location and
/// Retry-After response headers, and the statuses the seed does not list.
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
        ["403"] = "The API key's organisation does not exist on this cluster",
        ["413"] = "Request body larger than 64 KiB",
        ["415"] = "The request body is not declared as application/json",
        ["422"] = "The Idempotency-Key was already used with a different request body",
        ["429"] = "Too many requests for the organisation (or, without a valid key, from the address), or too many of its forks in progress; retry after the Retry-After header's seconds",
        ["503"] = "The cluster cannot take the request right now (its API server or storage is unavailable); nothing was created; retry after the Retry-After header's seconds",
    };

    /// <summary>The request headers of the fork operation beyond the seed.</summary>
    public static readonly IReadOnlyList<(string Name, string Description)> ForkHeaders =
    [
        (Idempotency.Header,
            "Up to 255 printable ASCII characters. The same organisation, key and request get the same answer and one fork: a retry re-attaches to a fork still running. Wins over X-Idempotency-Key when both are sent."),
        (Idempotency.LegacyHeader, "As Idempotency-Key (Vers' Go SDK sends one on every POST, the same on each retry)."),
        ("Prefer", "respond-async: answer 202 at once with the operation instead of waiting for the fork (RFC 7240)."),
    ];

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

            if (operation.Responses is { } responses)
            {
                foreach (var status in (string[])["429", "503"])
                {
                    if (responses.TryGetValue(status, out var retried) && retried is OpenApiResponse withRetry)
                    {
                        AddHeader(withRetry, "Retry-After", "Seconds to wait before retrying", JsonSchemaType.Integer);
                    }
                }

                if (metadata.OfType<IEndpointNameMetadata>().Any(n => n.EndpointName == ForkEndpoints.ForkOperationId))
                {
                    DescribeFork(operation, responses);
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
            else if (type == typeof(RepositoryInfo) || type == typeof(PublicRepositoryInfo) || type == typeof(RepoTagInfo))
            {
                // Optional in Vers' schemas: omitted when there is none.
                schema.Required?.Remove("description");
            }

            if ((type == typeof(ForkRepositoryResponse) || type == typeof(ForkOperation))
                && schema.Properties?.TryGetValue("commit_id", out var commitId) == true && commitId is OpenApiSchema commit)
            {
                commit.Format = "uuid";
            }

            if (type == typeof(ForkOperation) && schema.Properties is { } properties)
            {
                if (properties.TryGetValue("code", out var code))
                {
                    // An integer in the JSON we write (the generator also offers the string form JSON reading accepts).
                    properties["code"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Description = code.Description };
                }

                if (properties.TryGetValue("status", out var status) && status is OpenApiSchema statusSchema)
                {
                    statusSchema.Enum = [JsonValue.Create("pending"), JsonValue.Create("succeeded"), JsonValue.Create("failed")];
                }
            }

            return Task.CompletedTask;
        });
    }

    private static void DescribeFork(OpenApiOperation operation, OpenApiResponses responses)
    {
        foreach (var (code, response) in responses)
        {
            if (ForkResponses.TryGetValue(code, out var description) && response is OpenApiResponse r)
            {
                r.Description = description;
            }
        }

        foreach (var code in new[] { "202", "500" })
        {
            if (responses.TryGetValue(code, out var response) && response is OpenApiResponse r)
            {
                AddHeader(
                    r,
                    "Location",
                    code == "202" ? "The operation: GET it for the fork's status" : "When the wait for the fork ran out: the operation to poll (the fork carries on)",
                    JsonSchemaType.String);
            }
        }

        operation.Parameters ??= [];
        foreach (var (name, description) in ForkHeaders)
        {
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = name,
                In = ParameterLocation.Header,
                Required = false,
                Description = description,
                Schema = name == "Prefer"
                    ? new OpenApiSchema { Type = JsonSchemaType.String }
                    : new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = Idempotency.MaxKeyLength },
            });
        }
    }

    private static void AddHeader(OpenApiResponse response, string name, string description, JsonSchemaType type)
    {
        response.Headers ??= new Dictionary<string, IOpenApiHeader>();
        response.Headers[name] = new OpenApiHeader { Description = description, Schema = new OpenApiSchema { Type = type } };
    }
}
