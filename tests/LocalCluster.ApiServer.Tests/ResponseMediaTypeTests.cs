using System.Net;
using System.Text.Json.Nodes;

namespace Vers.LocalCluster.ApiServer.Tests;

/// <summary>Response media types as negotiate.go picks them: JSON, YAML, 406, and the meta.k8s.io conversions.</summary>
public sealed class ResponseMediaTypeTests
{
    private const string ConfigMap = """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"},"data":{"flag":"true","count":"42","empty":"","when":"2024-01-02","text":"a: b"}}""";

    private static async Task<(HttpStatusCode Code, string? ContentType, string Body)> GetAsync(TestCluster c, string path, string accept)
    {
        using var http = new HttpClient { BaseAddress = c.Server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Accept", accept);
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        return (response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    private static async Task<TestCluster> WithConfigMapAsync()
    {
        var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsync("/api/v1/namespaces/default/configmaps", ConfigMap)).Code);
        return c;
    }

    [Fact]
    public async Task Accept_yaml_returns_the_object_as_yaml_with_sorted_keys()
    {
        await using var c = await WithConfigMapAsync();
        var (code, type, body) = await GetAsync(c, "/api/v1/namespaces/default/configmaps/cm", "application/yaml");
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal("application/yaml", type);
        Assert.StartsWith("apiVersion: v1\ndata:\n", body);
        Assert.Contains("\nkind: ConfigMap\nmetadata:\n", body);
        Assert.Contains("  name: cm\n", body);
    }

    [Fact]
    public async Task Yaml_double_quotes_strings_that_would_read_back_as_another_type()
    {
        await using var c = await WithConfigMapAsync();
        var (_, _, body) = await GetAsync(c, "/api/v1/namespaces/default/configmaps/cm", "application/yaml");
        Assert.Contains("  count: \"42\"\n", body);
        Assert.Contains("  empty: \"\"\n", body);
        Assert.Contains("  flag: \"true\"\n", body);
        Assert.Contains("  text: 'a: b'\n", body);
        Assert.Contains("  when: \"2024-01-02\"\n", body);
        Assert.Matches("creationTimestamp: \"[0-9-]+T[0-9:]+Z\"\n", body);
    }

    [Fact]
    public async Task Accept_yaml_returns_a_list_as_yaml()
    {
        await using var c = await WithConfigMapAsync();
        var (code, type, body) = await GetAsync(c, "/api/v1/namespaces/default/configmaps", "application/yaml");
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal("application/yaml", type);
        Assert.StartsWith("apiVersion: v1\nitems:\n- apiVersion: v1\n", body);
        Assert.Contains("\nkind: ConfigMapList\n", body);
    }

    [Fact]
    public async Task Accept_yaml_returns_a_status_error_as_yaml()
    {
        await using var c = await TestCluster.StartAsync();
        var (code, type, body) = await GetAsync(c, "/api/v1/namespaces/default/configmaps/missing", "application/yaml");
        Assert.Equal(HttpStatusCode.NotFound, code);
        Assert.Equal("application/yaml", type);
        Assert.Contains("kind: Status\n", body);
        Assert.Contains("message: configmaps \"missing\" not found\n", body);
        Assert.Contains("reason: NotFound\n", body);
        Assert.Contains("code: 404\n", body);
    }

    [Fact]
    public async Task An_accept_header_no_serializer_matches_is_406_listing_the_supported_types()
    {
        await using var c = await TestCluster.StartAsync();
        var (code, type, body) = await GetAsync(c, "/api/v1/namespaces", "text/html");
        Assert.Equal(HttpStatusCode.NotAcceptable, code);
        Assert.Equal("application/json", type);
        var status = JsonNode.Parse(body)!;
        Assert.Equal("NotAcceptable", status["reason"]!.ToString());
        Assert.Equal("only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf", status["message"]!.ToString());
        Assert.Equal(406, status["code"]!.GetValue<int>());
    }

    [Fact]
    public async Task Wildcard_accept_is_json()
    {
        await using var c = await TestCluster.StartAsync();
        var (code, type, body) = await GetAsync(c, "/api/v1/namespaces/default", "*/*");
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal("application/json", type);
        Assert.Equal("Namespace", JsonNode.Parse(body)!["kind"]!.ToString());
    }

    [Fact]
    public async Task The_highest_quality_accept_clause_wins()
    {
        await using var c = await TestCluster.StartAsync();
        var (_, type, _) = await GetAsync(c, "/api/v1/namespaces/default", "application/json;q=0.5, application/yaml");
        Assert.Equal("application/yaml", type);
    }

    [Fact]
    public async Task A_conversion_to_an_unknown_kind_falls_through_to_the_next_clause()
    {
        await using var c = await TestCluster.StartAsync();
        var (code, type, _) = await GetAsync(c, "/api/v1/namespaces/default", "application/json;as=Widget;v=v1;g=meta.k8s.io, application/yaml");
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal("application/yaml", type);
    }

    [Fact]
    public async Task As_PartialObjectMetadata_returns_only_the_metadata()
    {
        await using var c = await WithConfigMapAsync();
        var (code, _, body) = await GetAsync(c, "/api/v1/namespaces/default/configmaps/cm", "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1");
        Assert.Equal(HttpStatusCode.OK, code);
        var partial = JsonNode.Parse(body)!.AsObject();
        Assert.Equal("PartialObjectMetadata", partial["kind"]!.ToString());
        Assert.Equal("meta.k8s.io/v1", partial["apiVersion"]!.ToString());
        Assert.Equal("cm", partial["metadata"]!["name"]!.ToString());
        Assert.False(partial.ContainsKey("data"));
    }

    [Fact]
    public async Task As_PartialObjectMetadataList_returns_the_items_metadata_and_the_list_resource_version()
    {
        await using var c = await WithConfigMapAsync();
        var (code, _, body) = await GetAsync(c, "/api/v1/namespaces/default/configmaps", "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1");
        Assert.Equal(HttpStatusCode.OK, code);
        var list = JsonNode.Parse(body)!;
        Assert.Equal("PartialObjectMetadataList", list["kind"]!.ToString());
        Assert.NotNull(list["metadata"]!["resourceVersion"]);
        var item = Assert.Single(list["items"]!.AsArray())!;
        Assert.Equal("PartialObjectMetadata", item["kind"]!.ToString());
        Assert.Equal("cm", item["metadata"]!["name"]!.ToString());
    }

    [Fact]
    public async Task As_PartialObjectMetadata_of_a_list_is_406()
    {
        await using var c = await TestCluster.StartAsync();
        var (code, _, body) = await GetAsync(c, "/api/v1/namespaces", "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1");
        Assert.Equal(HttpStatusCode.NotAcceptable, code);
        Assert.StartsWith("you requested PartialObjectMetadata, but the requested object is a list", JsonNode.Parse(body)!["message"]!.ToString());
    }

    [Fact]
    public async Task A_metadata_clients_accept_header_gets_a_PartialObjectMetadataList_in_json()
    {
        // client-go's metadata client (garbage collector, metadata informers) asks for protobuf first.
        await using var c = await WithConfigMapAsync();
        var (code, type, body) = await GetAsync(c, "/api/v1/namespaces/default/configmaps",
            "application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json");
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal("application/json", type);
        Assert.Equal("PartialObjectMetadataList", JsonNode.Parse(body)!["kind"]!.ToString());
    }
}
