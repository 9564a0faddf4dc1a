using System.Text.Json.Nodes;
using Vers.ApiShim.Tests.Cluster;
using YamlDotNet.Serialization;

namespace Vers.ApiShim.Tests.Contract;

/// <summary>
/// The served /openapi/v1.json against Vers' published contract ("the seed", copied into this project as
/// Contract/fork-openapi.yaml): the fork operation and the three schemas must say exactly what the seed says, plus only the
/// documented extensions (request headers, response headers, the statuses the seed does not list).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class OpenApiContractTests(ShimCluster cluster)
{
    private const string ForkPath = "/api/v1/repositories/fork";
    private static readonly string[] SeedSchemas = ["ForkRepositoryRequest", "ForkRepositoryResponse", "ErrorResponse"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static JsonObject Seed()
    {
        var yaml = new DeserializerBuilder().Build().Deserialize<object>(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Contract", "fork-openapi.yaml")));
        var json = new SerializerBuilder().JsonCompatible().Build().Serialize(yaml!);
        return Normalize(JsonNode.Parse(json))!.AsObject();
    }

    private async Task<JsonObject> ServedAsync()
    {
        var answer = await ShimCluster.GetAsync(cluster.Host.ApiAddress, "openapi/v1.json", null, Ct);
        Assert.Equal(200, answer.Status);
        return Normalize(answer.Body)!.AsObject();
    }

    /// <summary>
    /// Scalars as text (YAML has no types of its own here), and JSON Schema's set-valued keywords
    /// ("type" lists, "required") sorted, since their order carries no meaning.
    /// </summary>
    private static JsonNode? Normalize(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.Select(p => KeyValuePair.Create(
            p.Key,
            p.Key is "type" or "required" && p.Value is JsonArray set
                ? new JsonArray(set.Select(v => v!.ToString()).Order(StringComparer.Ordinal).Select(v => (JsonNode?)JsonValue.Create(v)).ToArray())
                : Normalize(p.Value)))),
        JsonArray a => new JsonArray(a.Select(Normalize).ToArray()),
        JsonValue v => JsonValue.Create(v.ToString()),
        _ => null,
    };

    private static void AssertSame(JsonNode? expected, JsonNode? actual, string what) =>
        Assert.True(JsonNode.DeepEquals(expected, actual), $"{what} differs from the seed.\nseed:   {expected?.ToJsonString()}\nserved: {actual?.ToJsonString()}");

    [Fact]
    public async Task The_fork_operation_has_the_seeds_path_method_operation_id_tags_and_request_body()
    {
        var seed = Seed()["paths"]![ForkPath]!["post"]!;
        var served = (await ServedAsync())["paths"]![ForkPath]?["post"];

        Assert.NotNull(served);
        Assert.Equal("fork_repository", (string?)served["operationId"]);
        AssertSame(seed["operationId"], served["operationId"], "operationId");
        AssertSame(seed["tags"], served["tags"], "tags");
        AssertSame(seed["requestBody"], served["requestBody"], "requestBody");
    }

    [Fact]
    public async Task The_fork_operation_answers_every_seed_status_with_the_seeds_description_and_schema()
    {
        var seedResponses = Seed()["paths"]![ForkPath]!["post"]!["responses"]!.AsObject();
        var servedResponses = (await ServedAsync())["paths"]![ForkPath]!["post"]!["responses"]!.AsObject();

        foreach (var (code, seedResponse) in seedResponses)
        {
            Assert.True(servedResponses.ContainsKey(code), $"served document lacks status {code}");
            AssertSame(seedResponse, WithoutExtensions(servedResponses[code]!.AsObject()), $"response {code}");
        }
    }

    /// <summary>A served response without the one extension a seed status may carry: documented response headers.</summary>
    private static JsonObject WithoutExtensions(JsonObject response)
    {
        var copy = response.DeepClone().AsObject();
        copy.Remove("headers");
        return copy;
    }

    [Fact]
    public async Task The_fork_operation_documents_its_request_headers_as_optional_header_parameters()
    {
        var parameters = (await ServedAsync())["paths"]![ForkPath]!["post"]!["parameters"]!.AsArray().Select(p => p!.AsObject()).ToList();

        Assert.Equal(["Idempotency-Key", "X-Idempotency-Key", "Prefer"], parameters.Select(p => (string?)p["name"]));
        Assert.All(parameters, p => Assert.Equal("header", (string?)p["in"]));
        Assert.All(parameters, p => Assert.NotEqual("true", (string?)p["required"]));
        Assert.All(parameters, p => Assert.False(string.IsNullOrEmpty((string?)p["description"])));
        Assert.Equal("255", (string?)parameters[0]["schema"]!["maxLength"]);
    }

    [Theory]
    [InlineData("202", "Location")]
    [InlineData("500", "Location")]
    [InlineData("429", "Retry-After")]
    [InlineData("503", "Retry-After")]
    public async Task The_fork_operation_documents_its_response_headers(string status, string header)
    {
        var response = (await ServedAsync())["paths"]![ForkPath]!["post"]!["responses"]![status]!.AsObject();

        var headers = response["headers"]!.AsObject();
        Assert.Equal([header], headers.Select(h => h.Key));
        Assert.False(string.IsNullOrEmpty((string?)headers[header]!["description"]));
    }

    [Theory]
    [InlineData("/api/v1/repositories/{repo}", "get", "RepositoryInfo")]
    [InlineData("/api/v1/repositories/{repo}/tags/{tag}", "get", "RepoTagInfo")]
    [InlineData("/api/v1/public/repositories/{org}/{repo}", "get", "PublicRepositoryInfo")]
    [InlineData("/api/v1/public/repositories/{org}/{repo}/tags/{tag}", "get", "RepoTagInfo")]
    [InlineData("/api/v1/keys/validate", "post", "ValidateKeyResponse")]
    public async Task The_read_endpoints_vers_clients_call_are_documented_with_their_schema(string path, string method, string schema)
    {
        var operation = (await ServedAsync())["paths"]![path]?[method];

        Assert.NotNull(operation);
        Assert.Equal($"#/components/schemas/{schema}", (string?)operation["responses"]!["200"]!["content"]!["application/json"]!["schema"]!["$ref"]);
    }

    [Fact]
    public async Task The_vm_list_is_documented_as_an_array_of_vms_that_needs_a_key()
    {
        var operation = (await ServedAsync())["paths"]!["/api/v1/vms"]!["get"]!;

        var schema = operation["responses"]!["200"]!["content"]!["application/json"]!["schema"]!;
        Assert.Equal("array", (string?)schema["type"]);
        Assert.Equal("#/components/schemas/VmInfo", (string?)schema["items"]!["$ref"]);
        Assert.NotNull(operation["security"]);
    }

    [Theory]
    [InlineData("RepositoryInfo")]
    [InlineData("PublicRepositoryInfo")]
    [InlineData("RepoTagInfo")]
    public async Task Optional_fields_of_vers_schemas_are_not_required(string name)
    {
        var schema = (await ServedAsync())["components"]!["schemas"]![name]!;

        Assert.NotNull(schema["properties"]!["description"]);
        Assert.DoesNotContain("description", schema["required"]!.AsArray().Select(r => (string?)r));
    }

    [Fact]
    public async Task The_operation_schema_has_an_integer_code_and_the_three_statuses()
    {
        var properties = (await ServedAsync())["components"]!["schemas"]!["ForkOperation"]!["properties"]!;

        Assert.Equal("integer", (string?)properties["code"]!["type"]);
        Assert.Null(properties["code"]!["pattern"]);
        Assert.Equal(["pending", "succeeded", "failed"], properties["status"]!["enum"]!.AsArray().Select(v => (string?)v));
    }

    [Fact]
    public async Task The_fork_operation_also_documents_our_statuses_with_the_error_body()
    {
        var responses = (await ServedAsync())["paths"]![ForkPath]!["post"]!["responses"]!.AsObject();

        Assert.Equal("#/components/schemas/ForkOperation", (string?)responses["202"]!["content"]!["application/json"]!["schema"]!["$ref"]);
        foreach (var code in new[] { "400", "403", "413", "415", "422", "429", "503" })
        {
            Assert.Equal("#/components/schemas/ErrorResponse", (string?)responses[code]?["content"]?["application/json"]?["schema"]?["$ref"]);
            Assert.False(string.IsNullOrEmpty((string?)responses[code]!["description"]));
        }

        Assert.Equal(
            new[] { "201", "202", "400", "401", "403", "404", "409", "413", "415", "422", "429", "500", "503" },
            responses.Select(r => r.Key).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("ForkRepositoryRequest")]
    [InlineData("ForkRepositoryResponse")]
    [InlineData("ErrorResponse")]
    public async Task A_seed_schema_is_served_field_by_field_the_same(string name)
    {
        Assert.Contains(name, SeedSchemas);
        var seed = Seed()["components"]!["schemas"]![name]!.AsObject();
        var served = (await ServedAsync())["components"]!["schemas"]![name]?.AsObject();

        Assert.NotNull(served);
        Assert.Equal(seed.Select(p => p.Key).Order(StringComparer.Ordinal), served.Select(p => p.Key).Order(StringComparer.Ordinal));
        AssertSame(seed["type"], served["type"], $"{name}.type");
        AssertSame(seed["description"], served["description"], $"{name}.description");
        AssertSame(seed["required"], served["required"], $"{name}.required");
        var seedProperties = seed["properties"]!.AsObject();
        var servedProperties = served["properties"]!.AsObject();
        Assert.Equal(seedProperties.Select(p => p.Key).Order(StringComparer.Ordinal), servedProperties.Select(p => p.Key).Order(StringComparer.Ordinal));
        foreach (var (property, seedProperty) in seedProperties)
        {
            AssertSame(seedProperty, servedProperties[property], $"{name}.{property}");
        }

        AssertSame(seed, served, name);
    }

    [Fact]
    public async Task The_fork_operation_requires_the_seeds_bearer_scheme()
    {
        var seed = Seed();
        var served = await ServedAsync();

        AssertSame(seed["components"]!["securitySchemes"]!["bearer_auth"], served["components"]!["securitySchemes"]?["bearer_auth"], "bearer_auth");
        AssertSame(seed["paths"]![ForkPath]!["post"]!["security"], served["paths"]![ForkPath]!["post"]!["security"], "security");
    }

    [Fact]
    public async Task The_document_is_OpenAPI_3_1_with_the_seeds_title_and_version()
    {
        var seed = Seed();
        var served = await ServedAsync();

        Assert.StartsWith("3.1.", (string?)served["openapi"]);
        AssertSame(seed["info"]!["title"], served["info"]!["title"], "info.title");
        AssertSame(seed["info"]!["version"], served["info"]!["version"], "info.version");
    }

    [Fact]
    public async Task The_docs_page_renders_the_served_document()
    {
        var answer = await ShimCluster.GetAsync(cluster.Host.ApiAddress, "docs", null, Ct);

        Assert.Equal(200, answer.Status);
        Assert.Equal("text/html", answer.Response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"url\":\"openapi/v1.json\"", answer.Text, StringComparison.Ordinal);
        // The renderer is served by the shim itself (no CDN), so /docs works offline.
        var script = await ShimCluster.GetAsync(cluster.Host.ApiAddress, "docs/scalar.js", null, Ct);
        Assert.Equal(200, script.Status);
        Assert.True(script.Text.Length > 10_000, "scalar.js is the bundled renderer");
    }
}
