using System.Buffers.Binary;
using System.Net;
using System.Text.Json.Nodes;
using Vers.LocalCluster.ApiServer.Protobuf;

namespace Vers.LocalCluster.ApiServer.Tests.Protobuf;

/// <summary>
/// Responses in protobuf for clients that ask for it first (client-go's typed clients: kubectl, Helm), as
/// negotiate.go picks the first media type the endpoint's serializers can produce; JSON for custom resources.
/// </summary>
public sealed class ProtobufResponseTests
{
    private const string ClientGoAccept = "application/vnd.kubernetes.protobuf, application/json";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(HttpStatusCode Code, string? Type, byte[] Body)> GetAsync(TestCluster c, string path, string accept)
    {
        using var http = new HttpClient { BaseAddress = c.Server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Accept", accept);
        using var response = await http.SendAsync(request, Ct);
        return (response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsByteArrayAsync(Ct));
    }

    private static async Task<TestCluster> WithConfigMapAsync()
    {
        var c = await TestCluster.StartAsync();
        using var api = new RawApi(c.Server.BaseAddress);
        var created = await api.PostAsync("/api/v1/namespaces/default/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"},"data":{"k":"v"}}""");
        Assert.Equal(HttpStatusCode.Created, created.Code);
        return c;
    }

    [Fact]
    public async Task A_get_asking_for_protobuf_first_is_answered_in_protobuf()
    {
        await using var c = await WithConfigMapAsync();
        var (code, type, body) = await GetAsync(c, "/api/v1/namespaces/default/configmaps/cm", ClientGoAccept);
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal(KubeProtobuf.MediaType, type);
        var obj = KubeProtobuf.Decode(body);
        Assert.Equal("ConfigMap", obj["kind"]!.ToString());
        Assert.Equal("v", obj["data"]!["k"]!.ToString());
        Assert.Equal("cm", obj["metadata"]!["name"]!.ToString());
    }

    [Fact]
    public async Task A_list_asking_for_protobuf_first_is_a_protobuf_list()
    {
        await using var c = await WithConfigMapAsync();
        var (code, type, body) = await GetAsync(c, "/api/v1/namespaces/default/configmaps", ClientGoAccept);
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal(KubeProtobuf.MediaType, type);
        var list = KubeProtobuf.Decode(body);
        Assert.Equal("ConfigMapList", list["kind"]!.ToString());
        Assert.Equal("cm", Assert.Single(list["items"]!.AsArray())!["metadata"]!["name"]!.ToString());
        Assert.NotNull(list["metadata"]!["resourceVersion"]);
    }

    [Fact]
    public async Task An_error_for_a_protobuf_client_is_a_protobuf_status()
    {
        await using var c = await TestCluster.StartAsync();
        var (code, type, body) = await GetAsync(c, "/api/v1/namespaces/default/configmaps/missing", ClientGoAccept);
        Assert.Equal(HttpStatusCode.NotFound, code);
        Assert.Equal(KubeProtobuf.MediaType, type);
        var status = KubeProtobuf.Decode(body);
        Assert.Equal("Status", status["kind"]!.ToString());
        Assert.Equal("NotFound", status["reason"]!.ToString());
        Assert.Equal(404, status["code"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_custom_resource_is_answered_in_json_to_a_protobuf_first_client()
    {
        await using var c = await TestCluster.StartAsync();
        await c.CreateWidgetCrdAsync();
        var (code, type, _) = await GetAsync(c, "/apis/example.com/v1/namespaces/default/widgets", ClientGoAccept);
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal("application/json", type);
    }

    [Fact]
    public async Task A_custom_resource_asked_only_in_protobuf_is_406_without_protobuf_in_the_list()
    {
        await using var c = await TestCluster.StartAsync();
        await c.CreateWidgetCrdAsync();
        var (code, _, body) = await GetAsync(c, "/apis/example.com/v1/namespaces/default/widgets", KubeProtobuf.MediaType);
        Assert.Equal(HttpStatusCode.NotAcceptable, code);
        Assert.Equal("only the following media types are accepted: application/json, application/yaml", JsonNode.Parse(body)!["message"]!.ToString());
    }

    [Fact]
    public async Task A_protobuf_watch_streams_length_prefixed_watch_events()
    {
        await using var c = await WithConfigMapAsync();
        using var http = new HttpClient { BaseAddress = c.Server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1");
        request.Headers.TryAddWithoutValidation("Accept", "application/vnd.kubernetes.protobuf;stream=watch, application/json");
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(KubeProtobuf.MediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(response.Content.Headers.ContentType!.Parameters, p => p.Name == "stream" && p.Value == "watch");
        var bytes = await response.Content.ReadAsByteArrayAsync(Ct);

        // The first frame: a 4-byte big-endian length, then a WatchEvent{type=1, object=2} whose object is an envelope.
        var length = BinaryPrimitives.ReadInt32BigEndian(bytes);
        Assert.True(length > 0 && length + 4 <= bytes.Length);
        Assert.Equal(KubeProtobuf.EncodeWatchEvent("ADDED", KubeProtobuf.Decode(KubeProtobuf.Encode(new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["name"] = "x" },
        })))[4..6], bytes[4..6]);
    }
}
