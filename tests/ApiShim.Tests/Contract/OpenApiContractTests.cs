using System.Text.Json.Nodes;
using Vers.ApiShim.Tests.Cluster;
using YamlDotNet.Serialization;

namespace Vers.ApiShim.Tests.Contract;

/// <summary>
/// The served /openapi/v1.json against Vers' published contract (fork-openapi.yaml, copied from the
/// seed): the fork operation and the three schemas must say exactly what the seed says.
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
            AssertSame(seedResponse, servedResponses[code], $"response {code}");
        }
    }

    [Fact]
    public async Task The_fork_operation_also_documents_our_statuses_with_the_error_body()
    {
        var responses = (await ServedAsync())["paths"]![ForkPath]!["post"]!["responses"]!.AsObject();

        Assert.Equal("#/components/schemas/ForkOperation", (string?)responses["202"]!["content"]!["application/json"]!["schema"]!["$ref"]);
        foreach (var code in new[] { "400", "413", "422", "429" })
        {
            Assert.Equal("#/components/schemas/ErrorResponse", (string?)responses[code]?["content"]?["application/json"]?["schema"]?["$ref"]);
        }

        Assert.Equal(
            new[] { "201", "202", "400", "401", "404", "409", "413", "422", "429", "500" },
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
